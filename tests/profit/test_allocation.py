"""Largest-remainder allocation: whole cents that add up exactly, each within a cent of its exact share."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmstudy.errors import DataError
from crmstudy.profit import allocate, allocate_groups

weights = st.lists(st.integers(0, 10_000), min_size=1, max_size=40).filter(lambda w: sum(w) > 0)
totals = st.integers(-(10**11), 10**11)


@settings(max_examples=200, deadline=None)
@given(total=totals, w=weights)
def test_shares_add_up_to_the_total_and_each_is_within_a_cent_of_its_exact_share(total, w):
    share = allocate(total, w)
    assert share.dtype == np.int64
    assert int(share.sum()) == total
    exact = [Fraction(total * wi, sum(w)) for wi in w]
    assert all(abs(Fraction(int(s)) - e) < 1 for s, e in zip(share, exact))
    assert all(s == 0 for s, wi in zip(share, w) if wi == 0)


@settings(max_examples=100, deadline=None)
@given(groups=st.lists(st.tuples(totals, weights), min_size=1, max_size=8))
def test_every_group_adds_up_to_its_own_total(groups):
    t = np.array([g[0] for g in groups], dtype=np.int64)
    member_group = np.concatenate([np.full(len(g[1]), k) for k, g in enumerate(groups)])
    w = np.concatenate([g[1] for g in groups])
    share = allocate_groups(t, member_group, w)
    assert np.bincount(member_group, weights=share, minlength=len(t)).astype(np.int64).tolist() == t.tolist()


def test_equal_weights_give_the_left_over_cents_to_the_first_members():
    assert allocate(101, [1, 1, 1, 1]).tolist() == [26, 25, 25, 25]


def test_a_group_of_zero_weights_is_refused():
    with pytest.raises(DataError, match="all zero"):
        allocate(100, [0, 0])
