"""The channels section: a description, and preferences or migration only beyond the FDR."""

from __future__ import annotations

import numpy as np
import pytest

from crmstudy.reports.context import load_context
from crmstudy.reports.sections import channels

BRANCHES = ("B001", "B002", "B003")


@pytest.mark.parametrize("branch", BRANCHES)
def test_the_null_bank_has_no_channel_finding(tiny_null_bank, branch):
    s = channels.build(load_context(tiny_null_bank, branch))
    assert s.summary["status"] == "no_finding" and s.summary["total"] == 0
    assert not any("offer each group" in t for t in s.sentences)


def test_the_mix_rows_are_shares_and_the_readings_name_the_branch_figures(tiny_bank):
    s = channels.build(load_context(tiny_bank, "B001"))
    mix = s.data["mix"]
    assert np.allclose(mix.sum(axis=1), 1.0)
    assert s.title == "Channels"
    p = s.data["productivity"].set_index("branch_id").loc["B001"]
    assert f"{p['txns_per_staff_hour']:.1f}" in s.sentences[2]
