"""What footprints add to what the bank knows: the DeLong interval of a paired AUC gain and the stacked card.

Hand-built samples where the truth is known: a footprint that carries information the
balance does not (it must add), and one that is only a noisy copy of the balance (it must not).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmstudy import footprint as fp
from crmstudy.footprint.validation import _bootstrap


def test_the_delong_interval_of_a_gain_agrees_with_a_paired_bootstrap():
    rng = np.random.default_rng(0)
    y = (rng.random(3_000) < 0.1).astype(float)
    a, b = y + rng.normal(0, 1.2, 3_000), y + rng.normal(0, 2.0, 3_000)
    d, lo, hi = fp.auc_difference(y, a, b)
    boot = _bootstrap(y, {"a": a, "b": b}, n_boot=2_000, seed=1)
    diff = boot["a"]["auc"] - boot["b"]["auc"]
    assert d == pytest.approx(fp.auc(y, a) - fp.auc(y, b))
    # the half-widths agree within sampling error of the bootstrap's quantiles (~5 %)
    assert (hi - lo) / 2 == pytest.approx(1.96 * diff.std(), rel=0.08)


def test_a_score_against_itself_gains_nothing_with_no_doubt():
    y = np.r_[np.zeros(40), np.ones(10)]
    s = np.arange(50.0)
    assert fp.auc_difference(y, s, s) == (0.0, 0.0, 0.0)


def _sample(n, rng, *, adds: bool):
    balance = rng.normal(size=n)
    other = rng.normal(size=n)
    z = -2.5 + 0.8 * balance + (0.8 * other if adds else 0.0)
    signal = other if adds else balance + rng.normal(0, 0.3, n)  # new information, or a copy
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    ada = 30_000 * np.exp(balance)  # a balance in CNY; the log of it drives the outcome
    return pd.DataFrame({"customer_id": np.arange(n).astype(str), "y": y, "signal": signal, "ada": ada})


@pytest.mark.parametrize("adds", [True, False])
def test_a_footprint_is_said_to_add_only_when_it_carries_what_the_balance_does_not(adds):
    rng = np.random.default_rng(5)
    train, later = _sample(4_000, rng, adds=adds), _sample(4_000, rng, adds=adds)
    card = fp.fit_evidence_card(
        "value", train, later, ["signal"], {"known": ["ada"]}, points_for="event", n_permutations=50
    )
    assert isinstance(card, fp.EvidenceCard) and card.adds is adds, card.auc
    # the recalibrated chances match the later window's rate
    assert card.predict(later).mean() == pytest.approx(later["y"].mean(), rel=0.05)
    ev = card.evidence()
    assert ev["gain_low"] <= ev["gain"] <= ev["gain_high"] and ev["events"] == int(later["y"].sum())


def test_a_footprint_card_without_a_signal_is_returned_alone():
    rng = np.random.default_rng(6)
    df = _sample(2_000, rng, adds=True).assign(signal=rng.normal(size=2_000))
    df["y"] = (rng.random(2_000) < 0.1).astype(int)
    out = fp.fit_evidence_card("value", df, df, ["signal"], {"known": ["ada"]}, n_permutations=50)
    assert isinstance(out, fp.Scorecard) and out.selected_ == []
