"""The verbs of the ``crmstudy`` command, one module each.

Each module holds ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int`` (an exit code from :mod:`crmstudy.errors`).  To add a
verb, write its module here and list it in :data:`COMMANDS`; ``crmstudy.cli``
builds the parser from this list and maps errors to exit codes for all of them.
"""

from __future__ import annotations

from . import check, events, ingest, params, replay, report, synth, training, validate, verify

#: The verbs in the order ``crmstudy --help`` lists them.
COMMANDS = [synth, report, training, check, verify, params, validate, events, replay, ingest]
