"""A bank's own export, through one door: ``crmstudy ingest``.

A mapping file (:mod:`~crmstudy.ingest.mapping`) says where each of crmstudy's
tables comes from in the export; :func:`ingest` reads the files
(:mod:`~crmstudy.ingest.readers`), coerces each column
(:mod:`~crmstudy.ingest.coerce`), derives balances (:mod:`~crmstudy.ingest.derive`),
writes a bank folder atomically (:mod:`~crmstudy.ingest.build`) and a
data-quality report (:mod:`~crmstudy.ingest.quality`).  docs/own_data.md walks
through it; docs/mappings/ holds two worked mappings.
"""

from __future__ import annotations

from .build import IngestResult, ingest
from .mapping import Mapping, load_mapping
from .quality import Issue, Quality

__all__ = ["IngestResult", "Issue", "Mapping", "Quality", "ingest", "load_mapping"]
