"""The basket: its record and the one way to change it (store.py), and the one way a basket starts, for
every entry point (start.py). A library the roles and edges share."""
