"""`python -m agents.cli`: the `kitting` command."""

from agents.cli.main import main

main()
