"""`python -m leftshift` runs the command-line interface."""

from leftshift.cli.commands import main

main()
