"""`python -m leftshift` runs the command-line interface."""

from leftshift.cli import main

main()
