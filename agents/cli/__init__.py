"""The `kitting` command: one module per area, registered in main.py; `python -m agents.cli`."""
