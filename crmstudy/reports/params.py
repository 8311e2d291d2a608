"""Moved to :mod:`crmstudy.params` (the one home of every parameter); kept so old imports work."""

from ..params import *  # noqa: F403
from ..params import ReportParams, load, load_params  # noqa: F401
