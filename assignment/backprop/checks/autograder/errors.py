"""The errors the CLI reports as a one-line message (exit code 2) rather than a traceback."""


class UserError(Exception):
    """Bad input from the person running the command."""
