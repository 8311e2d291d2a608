"""Tier migration between the two half-years."""

from __future__ import annotations

from crmstudy.lifecycle import migration
from crmstudy.period import Period


def test_halves_cover_the_period_without_overlap():
    a, b = migration.halves(Period.of("2025-01-01", "2025-12-31"))
    assert a.end.isoformat() == "2025-07-02" and b.start.isoformat() == "2025-07-03"
    assert a.days + b.days == 365


def test_the_matrix_counts_every_customer_once(tiny_bank):
    moves = migration.migration(tiny_bank)
    m = migration.transition_matrix(moves)
    assert m.to_numpy().sum() == len(moves) == moves["customer_id"].nunique()
    shares = migration.transition_matrix(moves, shares=True)
    assert ((shares.sum(axis=1) - 1).abs() < 1e-9)[m.sum(axis=1) > 0].all()
