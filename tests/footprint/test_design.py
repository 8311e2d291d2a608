"""The out-of-time design and its evaluation: windows, then planted truth on the demo bank
(the footprints beat the declared attributes, planted signals rank first) and the null bank
(nothing planted, so nothing may be found).  The demo bank is generated once per session,
the null bank once for this module.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmstudy import footprint as fp
from crmstudy.errors import ParamsError
from crmstudy.features import Period
from crmstudy.synth import preset_spec, synthesize

JAN_APR = Period.of("2025-01-01", "2025-04-30")
MAY_AUG = Period.of("2025-05-01", "2025-08-31")


# What the synthetic bank plants (docs/generative_model.md, docs/footprint_signals.md)
STRONG_VALUE = {"litres_per_fill", "premium_fuel_share", "air_trips", "luxury_share", "txn_amount"}
STRONG_RISK = {"internet_lender_share", "external_credit_lines"}
PLANTED_RISK = STRONG_RISK | {"cash_share", "payroll_regularity"}
PLANTED_VALUE = STRONG_VALUE | {
    "rail_trips",
    "dining_share",
    "education_share",
    "visit_positive_share",
    "visit_sold_share",
    "txn_count",
    "txn_variety",
    "txn_frequency",
}
IRRELEVANT = {"supermarket_share", "medical_share", "utilities_share"}
# not planted, yet not irrelevant to delinquency: spending shares sum to one and cash and
# internet-lender repayments rise with risk, so the supermarket share falls (Spearman −0.09
# with the planted risk propensity on the demo bank, a third of the cash share's +0.29)
IRRELEVANT_RISK = IRRELEVANT - {"supermarket_share"}
# Proxies (issue 13): not planted, yet selected because they move with the planted latent scores.
# After the lifecycle bank (churn precursors: surges of third-party outflows) the third-party share
# varies enough for its compositional fall to show: spending shares sum to one, so as planted
# fuel, luxury and dining spending (value) or cash and internet-lender repayments (risk) rise, the
# third-party and cash shares fall (Spearman -0.18 with value potential, -0.12 with the risk
# propensity).  Measured on the demo bank's training sample, given the planted latent score each
# carries nothing more (test_every_proxy_carries_nothing_beyond_the_planted_latent_score), and
# churn hardly moves with the outcome (Spearman -0.02), so no precursor leaks into it.
VALUE_PROXIES = {"third_party_out_share", "cash_share"}
RISK_PROXIES = {"third_party_out_share", "supermarket_share"}


# --- the windows ------------------------------------------------------------------------------


def test_the_default_design_splits_a_year_into_three_windows_of_four_months():
    d = fp.default_design(Period.of("2025-01-01", "2025-12-31"))
    assert (d.train_signals, d.train_outcome) == (JAN_APR, MAY_AUG)
    assert (d.test_signals, d.test_outcome) == (MAY_AUG, Period.of("2025-09-01", "2025-12-31"))


def test_a_design_whose_signals_overlap_their_outcome_is_refused():
    with pytest.raises(ParamsError, match="signal window must end before its outcome"):
        fp.Design(Period.of("2025-01-01", "2025-05-15"), MAY_AUG, MAY_AUG, Period.of("2025-09-01", "2025-12-31"))
    with pytest.raises(ParamsError, match="three windows"):
        fp.default_design(Period.of("2025-01-01", "2025-02-28"))


# --- planted truth: the demo bank ----------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_oot(demo_bank) -> fp.OutOfTime:
    return fp.out_of_time(demo_bank, n_boot=500)


def _metric(oot, target, model, metric="auc"):
    return oot.metrics.set_index(["target", "model", "metric"]).loc[(target, model, metric)]


@pytest.mark.parametrize("target", ["value", "risk"])
def test_on_the_demo_bank_footprints_beat_declared_attributes_clearly_out_of_time(demo_oot, target):
    added = _metric(demo_oot, target, "footprint − declared")
    # clearly: the paired 95 % interval of the AUC gain excludes zero and the gain is at least
    # 0.05 (the planted effects give about 0.10 for value and 0.12–0.15 for risk across seeds)
    assert added["low"] > 0 and added["estimate"] >= 0.05, demo_oot.summary()
    ks = {m: _metric(demo_oot, target, m, "ks")["estimate"] for m in ("footprint", "declared")}
    assert ks["footprint"] > ks["declared"]


def test_the_demo_evaluation_is_out_of_time_and_has_events_to_judge(demo_oot):
    d = demo_oot.design
    assert d.train_outcome.start > d.train_signals.end and d.test_outcome.start > d.train_outcome.end
    m = demo_oot.metrics.query("model == 'footprint' and metric == 'auc'").set_index("target")
    # enough events to judge: the Hanley-McNeil standard error of each AUC about 0.03 or less
    # (risk) and about 0.01 (value, the larger population; 950 events since the realism defaults)
    a, n1 = m["estimate"], m["events"]
    n0 = m["n"] - n1
    q1, q2 = a / (2 - a), 2 * a**2 / (1 + a)
    se = np.sqrt((a * (1 - a) + (n1 - 1) * (q1 - a**2) + (n0 - 1) * (q2 - a**2)) / (n1 * n0))
    assert m.loc["risk", "events"] >= 100 and se["risk"] <= 0.03 and se["value"] <= 0.012, se


def _iv(oot, target, model="footprint") -> pd.Series:
    return oot.iv.query("target == @target and model == @model").set_index("signal")["iv"]


def test_on_the_demo_bank_planted_strong_signals_rank_at_the_top_by_iv(demo_oot):
    value, risk = _iv(demo_oot, "value"), _iv(demo_oot, "risk")
    assert set(value.index[:3]) <= STRONG_VALUE, value.head()
    assert set(value.index[:5]) <= PLANTED_VALUE
    assert set(risk.index[:2]) == STRONG_RISK, risk.head()
    assert value[list(STRONG_VALUE)].min() > value[list(IRRELEVANT)].max()
    assert risk[list(STRONG_RISK)].min() > 0.1  # Siddiqi's "medium" or better


@pytest.mark.parametrize("target", ["value", "risk"])
def test_on_the_demo_bank_planted_irrelevant_signals_have_iv_near_zero(demo_oot, target):
    names = list(IRRELEVANT if target == "value" else IRRELEVANT_RISK)
    iv = demo_oot.iv.query("target == @target and model == 'footprint'").set_index("signal").loc[names]
    # near zero.  Two things keep them off exactly 0: sampling (a split that survives the 5 %
    # merge test adds ~χ²/events, up to ~0.05 at the risk score's ~225 training events:
    # medical_share 0.052, permutation p 0.18), and spending shares summing to one, so the
    # supermarket share falls ~8 % per SD of value potential as dining and travel rise (~0.03
    # on the value score).  Value: below 0.05; risk, at a sixth of the events: chance explains them.
    if target == "value":
        assert (iv["iv"] < 0.05).all(), iv
    else:
        assert (iv["iv"] < 0.1).all() and (iv["p_perm"] > 0.05).all(), iv


def test_on_the_demo_bank_the_cards_select_planted_signals_and_no_irrelevant_one(demo_oot):
    # measured (wealth law of 2026-12-02): risk selects internet_lender_share, external_credit_lines
    # and cash_share; value keeps txn_amount, litres_per_fill, premium_fuel_share (the other strong
    # ones beat the shuffles but add nothing once these are in), dining_share, rail_trips,
    # visit_positive_share and one proxy (cash_share).  luxury_share no longer enters the risk card:
    # its adjusted p-value is about 0.051 (0.047 / 0.054 / 0.0525 after 2,000 shuffles, three seeds;
    # 0.045 after the 200 that selected it), it is unrelated to the planted risk (Spearman -0.008,
    # and given it its coefficient's interval holds 0) and its bin reverses out of time (delinquency
    # above a 5.3% luxury share 1.6% vs 4.0% in training, 5.1% vs 3.6% in the test window): chance
    # at the selection's level, now rejected because the selection waits until Monte Carlo error
    # cannot carry a p-value under the level (Scorecard.max_permutations)
    value, risk = demo_oot.card("value").selected_, demo_oot.card("risk").selected_
    assert STRONG_RISK <= set(risk) <= PLANTED_RISK | RISK_PROXIES, risk
    assert len(set(value) & STRONG_VALUE) >= 2 and set(value) <= PLANTED_VALUE | VALUE_PROXIES, value
    assert not set(value) & IRRELEVANT and not set(risk) & IRRELEVANT_RISK
    p = demo_oot.card("value").iv_.set_index("signal")["p_perm"]
    assert (p[list(STRONG_VALUE)] <= 0.05).all()


@pytest.mark.parametrize("target", ["value", "risk"])
def test_every_proxy_carries_nothing_beyond_the_planted_latent_score(demo_oot, demo_bank, target):
    import statsmodels.api as sm

    truth = pd.read_parquet(demo_bank / "truth.parquet").set_index("customer_id")
    d = demo_oot.samples[(target, "train")].set_index("customer_id").join(truth)
    latent = ["value_potential"] if target == "value" else ["risk_propensity"]
    if target == "value":
        d["log_wealth"] = np.log(d["true_wealth"])
        latent.append("log_wealth")
    proxies = VALUE_PROXIES if target == "value" else RISK_PROXIES
    for signal in proxies:
        x = sm.add_constant(d[[signal, *latent]].fillna(d[signal].median()))
        fit = sm.Logit(d["y"], x).fit(disp=0)
        alone = sm.Logit(d["y"], sm.add_constant(d[[signal]].fillna(d[signal].median()))).fit(disp=0)
        low, high = fit.conf_int().loc[signal]
        assert low < 0 < high, (target, signal, low, high)  # nothing beyond the planted score
        if signal in set(demo_oot.card(target).selected_):
            assert alone.pvalues[signal] < 0.05  # ... though alone it tells: a proxy, not noise


def test_the_deployed_scorecards_use_no_declared_attribute(demo_oot):
    for target in ("value", "risk"):
        assert not set(demo_oot.card(target).selected_) & set(fp.DECLARED)


def test_every_bin_of_every_demo_scorecard_is_monotonic(demo_oot):
    for (target, model), card in demo_oot.scorecards.items():
        for name, b in card.binners_.items():
            if b.kind_ == "numeric" and len(b.woe_) > 1:
                assert (b.direction_ * np.diff(b.woe_) > 0).all(), (target, model, name, b.table_)


# --- the null bank: nothing planted, so nothing may be found ------------------------------------


@pytest.fixture(scope="module")
def null_oot(tmp_path_factory) -> fp.OutOfTime:
    # 60,000 customers: the risk score's windows then hold ~550 training and ~250 test
    # delinquencies, so IV's small-sample bias ((bins − 1)/events) stays far below 0.1 and a
    # spurious scorecard could not move the AUC by 0.03 by chance (SE ≈ 1/√(12·250) ≈ 0.018
    # for a continuous score, less for the coarse scores the merge rule leaves).  On 6 seeds
    # the largest IV was 0.031 and the AUC within 0.487–0.500.
    out = tmp_path_factory.mktemp("null_bank")
    synthesize(preset_spec("demo", null=True, n_customers=60_000), out)
    return fp.out_of_time(out, n_boot=200)


@pytest.mark.parametrize("target", ["value", "risk"])
def test_on_the_null_bank_out_of_time_auc_stays_within_a_half_plus_or_minus_0_03(null_oot, target):
    auc = _metric(null_oot, target, "footprint")["estimate"]
    assert abs(auc - 0.5) <= 0.03, null_oot.summary()
    assert _metric(null_oot, target, "footprint")["events"] >= 200


def test_on_the_null_bank_no_signal_passes_information_value_0_1(null_oot):
    assert null_oot.iv["iv"].max() < 0.1, null_oot.iv.sort_values("iv").tail()


def test_on_the_null_bank_no_scorecard_selects_a_signal_beyond_the_permutation_level(null_oot):
    # each card's permutation test lets a pure-noise signal in with chance 5 % at most, so four
    # cards let one in about once in five banks.  Measured: before the realism defaults of issue 16
    # none of the four cards selected one on this bank (where min_iv and Wald p-values alone put
    # supermarket_share and third_party_out_share into the risk card); since, the risk card takes
    # mobile_share at p_perm 0.030 (IV 0.052, out-of-time KS 0.007) on seed 0 and nothing on
    # seeds 1 and 2.  What must hold: at most one card selects, at most one signal, never with a
    # permutation p that would survive a Bonferroni split of the 5 % over the four cards.
    chosen = {k: c for k, c in null_oot.scorecards.items() if c.selected_}
    assert len(chosen) <= 1 and all(len(c.selected_) == 1 for c in chosen.values()), chosen
    for card in chosen.values():
        p = card.iv_.set_index("signal")["p_perm"]
        assert (p[card.selected_] > 0.05 / len(null_oot.scorecards)).all(), p
