"""cli: the `leftshift` command. `shared` holds what every command uses (errors and exit status, options,
loading, checks), `experiments` the experiment commands, `calibration` the calibrate command, `optimise` the
optimise command, `commands` the group and the other commands; each imports only downwards (shared < experiments <
calibration, optimise < commands)."""

from leftshift.cli.commands import cli, main

__all__ = ["cli", "main"]
