"""Per-product logistic regression: the planted affinities of the demo bank."""

from __future__ import annotations

import numpy as np

from crmstudy import association as A
from crmstudy.synth.products import PLANTED_AFFINITIES


def test_logistic_regression_recovers_the_sign_of_every_planted_affinity(demo_features, demo_holding):
    odds = A.product_logit(demo_features, demo_holding).set_index(["product_id", "level"])
    for (group, product), log_odds in PLANTED_AFFINITIES.items():
        if group in ("general", "stock"):  # the reference levels
            continue
        row = odds.loc[(product, group)]
        assert np.sign(np.log(row["odds_ratio"])) == np.sign(log_odds), (group, product, row["odds_ratio"])
    bl = odds.loc[("BUSINESS_LOAN", "business_owner")]
    assert bl["ci_low"] > 1 and bl["converged"]
