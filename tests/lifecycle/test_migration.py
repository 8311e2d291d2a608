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


def test_a_branch_s_moves_are_its_customers_rows_of_the_whole_bank_s_computed_from_its_own_features(tiny_bank):
    # the tier inputs come from one whole-bank pass per run; a branch slices its customers from it
    import pandas as pd

    from crmstudy.features import customer_features
    from crmstudy.tiers import assign_tiers

    whole = migration.migration(tiny_bank)
    _, second = migration.halves(Period.of(*map(str, _period(tiny_bank))))
    for branch in sorted(whole["branch_id"].unique()):
        moves = migration.migration(tiny_bank, branch=branch)
        mine = whole[whole["branch_id"] == branch].reset_index(drop=True)
        pd.testing.assert_frame_equal(moves, mine)
        own = customer_features(tiny_bank, second, branch=branch).set_index("customer_id")
        stayed = moves[~moves["tier_after"].isin(["left"])].set_index("customer_id")
        expected = assign_tiers(own.reset_index()).astype(str).to_numpy()
        got = stayed["tier_after"].reindex(own.index).dropna()
        assert (got.to_numpy() == pd.Series(expected, index=own.index).reindex(got.index).to_numpy()).all()


def _period(bank_dir):
    from crmstudy.bank import Bank

    p = Bank.open(bank_dir).period
    return p.start, p.end
