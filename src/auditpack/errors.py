"""Errors a user can act on.

Anything raised as ``UserError`` is printed as one line and exits 2 without a traceback; everything else is
a bug and keeps its traceback under ``--debug``.
"""


class UserError(Exception):
    """Bad usage or bad input: the message alone must tell the user what to fix."""

    exit_code = 2
