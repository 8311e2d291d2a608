"""Kept for old imports: the branch context is :mod:`crmstudy.reports.context`, the sections :mod:`~crmstudy.reports.sections`."""

from .context import *  # noqa: F403
from .context import (TIER_LABELS, BranchContext, branch_display_name, branch_ids, branch_period,  # noqa: F401
                      check_branches, headline, load_context, load_scores, write_headline)
