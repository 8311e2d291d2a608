"""Customer events and the contact policy: detect, assign, replay (source 004's third stage)."""

from __future__ import annotations

from .catalogue import KINDS, Kind
from .detect import COLUMNS, detect, detect_day

__all__ = ["COLUMNS", "KINDS", "Kind", "detect", "detect_day"]
