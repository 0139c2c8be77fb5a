"""The provider registry (SQL): who can be asked for what and where, how to reach them, how well they
answer. A library the roles and edges share."""
