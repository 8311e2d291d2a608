"""The small family of errors crmstudy raises.

Every message is one line a bank analyst understands: it names the file,
table, column or parameter and says what was expected.  The CLI prints the
message (never a traceback) and exits with :data:`EXIT_BAD_INPUT`.
"""

from __future__ import annotations

#: Exit codes of the ``crmstudy`` command (documented in README).
EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_LOCKED = 3
EXIT_ENVIRONMENT = 4


class CrmStudyError(Exception):
    """Base class: a problem the user can fix, reported in one line."""


class ParamsError(CrmStudyError):
    """A parameters file or value is malformed, unknown or of the wrong type."""


class DataError(CrmStudyError):
    """A data file is missing, corrupt, or breaks its table's schema."""


class DataProblems(DataError):
    """Every problem :func:`crmstudy.checks.check_bank` found: one line each, grouped and counted.

    ``problems`` holds them as :class:`crmstudy.checks.Problem` records (file, table, column, what
    was expected, how many rows, the first examples); the message is one line when there is one.
    """

    def __init__(self, message: str, problems: list | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class BranchError(CrmStudyError):
    """An unknown branch id was asked for."""


class RenderError(CrmStudyError):
    """A notebook could not be turned into a report."""


class ExecutionError(CrmStudyError):
    """A report notebook failed while it ran (names the cell and error)."""


class RunLockedError(CrmStudyError):
    """Another report run holds the output folder (the CLI exits with :data:`EXIT_LOCKED`)."""


class TooFewEvents(DataError):
    """Too few events (delinquencies, moves up) in a window to fit a footprint scorecard worth using."""


class SignalSkipped(UserWarning):
    """A footprint signal could not be computed because the data lacks a table or column it needs.

    A warning, not an error: the other signals are still computed.
    """


class MessageError(CrmStudyError):
    """A message key or language the catalogues do not have."""


class SectionError(CrmStudyError):
    """A report section failed while it was built (names the section and the error)."""


class CjkFontWarning(UserWarning):
    """No font with Chinese glyphs is installed."""


class MappingError(CrmStudyError):
    """An ingest mapping file is malformed: names the mapping file and the key, and what was expected."""


class IngestRefused(DataError):
    """A bank export could not be ingested: names the file, table, column and what was expected."""
