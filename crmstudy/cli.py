"""The ``crmstudy`` command: parses arguments, calls the package, prints.

Exit codes: 0 all succeeded; 1 some branches failed (or, for ``verify``, some
files changed); 2 bad input (the message names the file, table, column or
parameter); 3 locked: another run is writing to the same output folder; 4 environment: the
machine refused (disk full, read-only file system, no permission), with the path named;
130 interrupted (Ctrl-C); 143 terminated (SIGTERM: a scheduler's stop, ``timeout``, systemd),
which stops as cleanly as Ctrl-C (workers stopped, nothing unmasked left behind).
"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
import threading

from . import __version__
from .commands import COMMANDS
from .errors import (
    EXIT_BAD_INPUT,
    EXIT_ENVIRONMENT,
    EXIT_LOCKED,
    CrmStudyError,
    RunLockedError,
)

_BY_NAME = {command.NAME: command for command in COMMANDS}

#: The exit codes, as every verb's help states them.
EXIT_CODES = """exit codes:
  0 ok   1 some branches (or sections, or files) failed   2 bad input: one line names the file, table,
  column or parameter   3 locked: another run writes to the same folder   4 environment: disk full,
  read-only or no permission   130 interrupted (Ctrl-C)   143 terminated (SIGTERM), stopped as cleanly"""

_EPILOG = f"""first steps:
  crmstudy synth --preset demo --out data_synthetic/demo     a synthetic bank with planted truth
  crmstudy validate data_synthetic/demo                      check a bank folder (yours: crmstudy ingest first)
  crmstudy report --data data_synthetic/demo --out reports   one report per branch, reports/latest/index.html
  crmstudy <verb> --help                                     each verb's options, defaults and examples

{EXIT_CODES}"""

#: Exit code after Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130
#: Exit code after SIGTERM (128 + SIGTERM).
EXIT_TERMINATED = 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is: the same clean stop as Ctrl-C (workers stopped, work removed)."""


def _on_sigterm(signum, frame):
    raise Terminated()


#: OS errors that are the machine's state, not the input's: disk full, quota, read-only, no permission.
ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def build_parser() -> argparse.ArgumentParser:
    """The ``crmstudy`` command's arguments, one sub-command per verb (:mod:`crmstudy.commands`)."""
    p = argparse.ArgumentParser(
        prog="crmstudy",
        description="Retail-bank customer relationship analytics.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"crmstudy {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        examples = getattr(command, "EXAMPLES", "")
        command.add_arguments(
            sub.add_parser(
                command.NAME,
                help=command.HELP,
                description=command.HELP,
                epilog=f"{examples}\n\n{EXIT_CODES}" if examples else EXIT_CODES,
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
        )
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the ``crmstudy`` command (``argv`` defaults to ``sys.argv[1:]``); return its exit code."""
    args = build_parser().parse_args(argv)
    main_thread = threading.current_thread() is threading.main_thread()
    before = signal.signal(signal.SIGTERM, _on_sigterm) if main_thread else None
    try:
        return _dispatch(args)
    except RunLockedError as err:
        print(f"crmstudy: locked: {err}", file=sys.stderr)
        return EXIT_LOCKED
    except CrmStudyError as err:
        print(f"crmstudy: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as err:  # Ctrl-C or SIGTERM: the run stopped its workers, removed its unmasked files
        word, code = (
            ("terminated", EXIT_TERMINATED) if isinstance(err, Terminated) else ("interrupted", EXIT_INTERRUPTED)
        )
        print(f"crmstudy: {word}; branches not yet rendered keep their last report", file=sys.stderr)
        return code
    except OSError as err:  # the machine, not the input: disk full, read-only, no permission
        if err.errno not in ENVIRONMENT_ERRNOS:
            raise
        where = f"{err.filename}: " if err.filename else ""
        print(f"crmstudy: environment: {where}{err.strerror or err}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    finally:
        if main_thread and before is not None:
            signal.signal(signal.SIGTERM, before)


def _dispatch(args) -> int:
    return _BY_NAME[args.command].run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
