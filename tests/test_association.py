"""Segment × product association: closed forms, reference libraries, planted truth, the null bank.

Order of evidence (STYLE.md): hand-made tables against scipy.stats.chi2_contingency and
statsmodels' ``Table`` (residuals, χ², p), Cramér's V against its formula, BH/Holm against
statsmodels' ``multipletests``; then the planted truth of the demo bank; then the null bank.

Planted truth.  A life group also shifts planted wealth and wealth raises the odds of
wealth products, so cells are associated through wealth where no direct affinity is
planted.  The truth is taken from the per-customer planted log-odds
``truth.affinity_<PRODUCT>``: the *implied lift* of cell (g, p) is
mean(sigmoid(affinity_p)) among g over the same among everyone else.

* planted association: implied lift outside [0.8, 1.25] **and** the implied difference
  is at least 3.5 standard errors at the bank's group sizes.  The second condition
  keeps recall a property of the method, not of the sample size: the Benjamini–Hochberg
  cut in this family sits near |z| = 2.3, so a cell 3.5 SE out is found with power
  about 0.9, while a 0.79 lift on 30 expected holders (executives × business loans) is
  1.3 SE out and no test can be asked to find it;
* planted null: implied lift within [0.95, 1.05];
* ambiguous (left out of precision and recall): everything in between, and clear lifts
  the sample cannot resolve.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit
from statsmodels.stats.contingency_tables import Table
from statsmodels.stats.multitest import multipletests

from crmstudy import association as A
from crmstudy.plots import residual_heatmap, significance_mark
from crmstudy.errors import DataError, ParamsError
from crmstudy.features import customer_features
from crmstudy.synth import generate_bank, preset_spec
from crmstudy.synth.products import PLANTED_AFFINITIES

T = pd.Timestamp
GROUPINGS = ["life_group", "acquisition_group"]
#: Planted-truth bands (module docstring).
ASSOCIATED_OUTSIDE, NULL_WITHIN, MIN_IMPLIED_Z = (0.8, 1.25), (0.95, 1.05), 3.5


# --- helpers -------------------------------------------------------------------------------


def planted_cells(customers: pd.DataFrame, truth: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per grouping × group × product: implied lift, implied z and the planted class."""
    df = customers[["customer_id", *by]].merge(truth, on="customer_id")
    rows = []
    for col in by:
        for g in df[col].unique():
            in_g = (df[col] == g).to_numpy()
            for c in (c for c in truth.columns if c.startswith("affinity_")):
                if np.isinf(df[c]).all():  # held by everyone: no association to plant
                    continue
                p = expit(df[c].to_numpy())
                p1, p0, pbar = p[in_g].mean(), p[~in_g].mean(), p.mean()
                z = (p1 - p0) / np.sqrt(pbar * (1 - pbar) * (1 / in_g.sum() + 1 / (~in_g).sum()))
                rows.append((col, g, c.removeprefix("affinity_"), p1 / p0, z))
    t = pd.DataFrame(rows, columns=["grouping", "group", "product_id", "implied_lift", "implied_z"])
    lo, hi = ASSOCIATED_OUTSIDE
    clear = (t["implied_lift"] < lo) | (t["implied_lift"] > hi)
    null = t["implied_lift"].between(*NULL_WITHIN)
    t["planted"] = np.select([clear & (t["implied_z"].abs() >= MIN_IMPLIED_Z), null], ["association", "null"],
                             "ambiguous")
    return t


def publish_capture(monkeypatch) -> list[dict]:
    from crmstudy.reports import display

    shown: list[dict] = []
    monkeypatch.setattr(display, "_publish", lambda data, metadata=None: shown.append(data))
    return shown


def customers_and_holding(groups: list[str], held: dict[str, list[int]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = [f"C{i:03d}" for i in range(len(groups))]
    cust = pd.DataFrame({"customer_id": ids, "life_group": groups})
    hold = pd.DataFrame(held, index=pd.Index(ids, name="customer_id"))
    return cust, hold


def expand(table: np.ndarray) -> tuple[list[str], list[int]]:
    """Customers and a 0/1 product from a groups × (holds, does not) count table."""
    groups, held = [], []
    for i, (yes, no) in enumerate(np.asarray(table)):
        groups += [f"g{i}"] * (yes + no)
        held += [1] * yes + [0] * no
    return groups, held


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_holding(demo_bank) -> pd.DataFrame:
    return A.read_holding_matrix(demo_bank)


@pytest.fixture(scope="module")
def demo_association(demo_features, demo_holding) -> A.GroupProductAssociation:
    return A.group_product_association(demo_features, demo_holding, by=GROUPINGS)


@pytest.fixture(scope="module")
def demo_truth(demo_bank, demo_features) -> pd.DataFrame:
    return planted_cells(demo_features, pd.read_parquet(demo_bank / "truth.parquet"), GROUPINGS)


# --- the holding matrix ----------------------------------------------------------------------


def test_a_product_counts_from_its_opening_day_until_the_day_before_it_closes():
    h = pd.DataFrame({
        "customer_id": ["C1", "C1", "C1", "C2", "C2"],
        "product_id": ["OPENS_TODAY", "CLOSES_TODAY", "CLOSES_TOMORROW", "OPENS_TOMORROW", "OPEN"],
        "open_date": [T("2025-12-31"), T("2020-01-01"), T("2020-01-01"), T("2026-01-01"), T("2020-01-01")],
        "close_date": [pd.NaT, T("2025-12-31"), T("2026-01-01"), pd.NaT, pd.NaT]})
    m = A.holding_matrix(h, as_of="2025-12-31", customer_ids=["C1", "C2", "C3"],
                         product_ids=["OPENS_TODAY", "CLOSES_TODAY", "CLOSES_TOMORROW", "OPENS_TOMORROW", "OPEN"])
    assert m.loc["C1"].tolist() == [1, 0, 1, 0, 0]
    assert m.loc["C2"].tolist() == [0, 0, 0, 0, 1]
    assert m.loc["C3"].tolist() == [0, 0, 0, 0, 0]


def test_by_default_the_matrix_keeps_only_customers_holding_something():
    h = pd.DataFrame({"customer_id": ["C1", "C2"], "product_id": ["A", "A"],
                      "open_date": [T("2020-01-01")] * 2, "close_date": [pd.NaT, T("2021-01-01")]})
    assert A.holding_matrix(h, as_of="2025-12-31").index.tolist() == ["C1"]


def test_the_bank_holding_matrix_agrees_with_the_features_product_count(tiny_bank):
    features = customer_features(tiny_bank).set_index("customer_id")
    m = A.read_holding_matrix(tiny_bank)
    assert (m.sum(axis=1) == features.loc[m.index, "n_products"]).all()
    assert (features.drop(m.index)["n_products"] == 0).all()


def test_a_branch_holding_matrix_holds_only_that_branchs_customers(tiny_bank):
    features = customer_features(tiny_bank)
    m = A.read_holding_matrix(tiny_bank, branch="B002")
    branch_of = features.set_index("customer_id")["branch_id"]
    assert len(m) > 0 and (branch_of.loc[m.index] == "B002").all()


# --- one table: closed forms and references --------------------------------------------------

TABLE_2X2 = np.array([[30, 10], [15, 45]])
TABLE_RXC = np.array([[25, 14, 9], [11, 30, 12], [6, 10, 33], [20, 8, 15]])


@pytest.mark.parametrize("table", [TABLE_2X2, TABLE_RXC], ids=["2x2", "4x3"])
def test_pearson_chi2_p_and_expected_match_scipy(table):
    ours = A.contingency_test(table)
    ref = stats.chi2_contingency(table, correction=False)
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert ours.dof == ref.dof
    np.testing.assert_allclose(ours.expected.to_numpy(), ref.expected_freq, rtol=1e-12)


@pytest.mark.parametrize("table", [TABLE_2X2, TABLE_RXC], ids=["2x2", "4x3"])
def test_g_test_matches_scipy_log_likelihood_ratio(table):
    ours = A.contingency_test(table, method="g")
    ref = stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9)


@pytest.mark.parametrize("table", [TABLE_2X2, TABLE_RXC], ids=["2x2", "4x3"])
def test_adjusted_residuals_and_chi2_match_statsmodels_table(table):
    ours = A.contingency_test(table)
    ref = Table(table)
    np.testing.assert_allclose(ours.residuals.to_numpy(), ref.standardized_resids, rtol=1e-12)
    nominal = ref.test_nominal_association()
    assert ours.statistic == pytest.approx(nominal.statistic, rel=1e-12)
    assert ours.p_value == pytest.approx(nominal.pvalue, rel=1e-9)


def test_in_a_2x2_table_chi2_is_the_square_of_each_adjusted_residual():
    t = A.contingency_test(TABLE_2X2)
    np.testing.assert_allclose(t.residuals.to_numpy() ** 2, t.statistic, rtol=1e-12)


@pytest.mark.parametrize("table", [TABLE_2X2, TABLE_RXC], ids=["2x2", "4x3"])
def test_plain_cramers_v_matches_scipy(table):
    assert A.contingency_test(table).cramers_v == pytest.approx(
        stats.contingency.association(table, method="cramer", correction=False), rel=1e-12)


def test_bias_corrected_cramers_v_follows_bergsma_2013():
    t = A.contingency_test(TABLE_RXC)
    n, (r, c) = TABLE_RXC.sum(), TABLE_RXC.shape
    phi2 = t.statistic / n
    phi2c = max(0.0, phi2 - (r - 1) * (c - 1) / (n - 1))
    rc, cc = r - (r - 1) ** 2 / (n - 1), c - (c - 1) ** 2 / (n - 1)
    assert t.cramers_v_corrected == pytest.approx(np.sqrt(phi2c / min(rc - 1, cc - 1)), rel=1e-12)
    assert t.cramers_v_corrected < t.cramers_v  # the correction removes an upward bias


def test_bias_corrected_cramers_v_is_zero_for_an_independent_table():
    assert A.contingency_test(np.array([[10, 20], [20, 40]])).cramers_v_corrected == 0.0


def test_a_table_with_an_empty_row_is_refused_in_one_line():
    with pytest.raises(DataError, match=r"^contingency_test: counts must be >= 0 with no empty row or column$"):
        A.contingency_test(np.array([[1, 2], [0, 0]]))


# --- multiple testing -----------------------------------------------------------------------


def test_bh_and_holm_by_hand():
    p = [0.01, 0.04, 0.03]
    assert A.adjust_pvalues(p, method="bh").round(12).tolist() == [0.03, 0.04, 0.04]
    assert A.adjust_pvalues(p, method="holm").round(12).tolist() == [0.03, 0.06, 0.06]


@pytest.mark.parametrize("method, reference", [("bh", "fdr_bh"), ("holm", "holm")])
def test_corrections_match_statsmodels_multipletests(method, reference):
    rng = np.random.default_rng(7)
    p = np.concatenate([rng.uniform(size=200), rng.uniform(0, 0.001, size=20), [0.02, 0.02, 0.02, 1.0]])
    np.testing.assert_allclose(A.adjust_pvalues(p, method=method), multipletests(p, method=reference)[1],
                               rtol=1e-12)


def test_missing_p_values_are_left_out_of_the_family():
    p = np.array([0.01, np.nan, 0.04, 0.03])
    out = A.adjust_pvalues(p)
    assert np.isnan(out[1])
    np.testing.assert_allclose(out[[0, 2, 3]], multipletests(p[[0, 2, 3]], method="fdr_bh")[1])


def test_an_unknown_correction_is_refused_in_one_line():
    with pytest.raises(ParamsError, match=r"^correction must be 'bh' or 'holm', got 'bonferroni'$"):
        A.adjust_pvalues([0.1], method="bonferroni")


# --- group × product cells -------------------------------------------------------------------


def test_each_cell_is_its_group_against_the_rest_and_its_residual_is_statsmodels():
    groups, held = expand(TABLE_RXC[:, :2])  # four groups × (holds, does not)
    cust, hold = customers_and_holding(groups, {"P": held, "Q": held[::-1]})
    res = A.group_product_association(cust, hold, min_expected=0)
    cells = res.cells[res.cells["product_id"] == "P"].set_index("group")
    resid = Table(TABLE_RXC[:, :2]).standardized_resids[:, 0]
    np.testing.assert_allclose(cells["residual"].to_numpy(), resid, rtol=1e-12)
    for i, g in enumerate(cells.index):
        rest = TABLE_RXC[:, :2].sum(axis=0) - TABLE_RXC[i, :2]
        ref = stats.chi2_contingency([TABLE_RXC[i, :2], rest], correction=False)
        assert cells.at[g, "statistic"] == pytest.approx(ref.statistic, rel=1e-12)
        assert cells.at[g, "p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    np.testing.assert_allclose(res.cells["p_adjusted"], multipletests(res.cells["p_value"], method="fdr_bh")[1])


def test_the_per_product_table_test_and_cramers_v_match_statsmodels_and_the_formula():
    groups, held = expand(TABLE_RXC[:, :2])
    cust, hold = customers_and_holding(groups, {"P": held})
    row = A.group_product_association(cust, hold).tables.iloc[0]
    ref = Table(TABLE_RXC[:, :2]).test_nominal_association()
    assert row["statistic"] == pytest.approx(ref.statistic, rel=1e-12)
    assert row["dof"] == ref.df
    assert row["cramers_v_corrected"] == pytest.approx(A.contingency_test(TABLE_RXC[:, :2]).cramers_v_corrected)


def test_rates_lift_and_rate_ratio_by_hand():
    cust, hold = customers_and_holding(["a"] * 4 + ["b"] * 6, {"P": [1, 1, 1, 0] + [1, 0, 0, 0, 0, 0]})
    a = A.group_product_association(cust, hold, min_expected=0).cells.set_index("group").loc["a"]
    assert (a["customers"], a["holders"]) == (4, 3)
    assert a["rate"] == 0.75 and a["rate_rest"] == pytest.approx(1 / 6)
    assert a["lift"] == pytest.approx(0.75 / 0.4) and a["rate_ratio"] == pytest.approx(4.5)


def test_cells_with_small_expected_counts_use_fishers_exact_test():
    cust, hold = customers_and_holding(["a"] * 4 + ["b"] * 36, {"P": [1, 1, 1, 0] + [1] * 3 + [0] * 33})
    a = A.group_product_association(cust, hold).cells.set_index("group").loc["a"]
    assert a["test"] == "fisher"
    assert a["p_value"] == pytest.approx(stats.fisher_exact([[3, 1], [3, 33]]).pvalue, rel=1e-12)


def test_a_product_everyone_holds_is_left_out():
    cust, hold = customers_and_holding(["a", "a", "b", "b"], {"ALL": [1, 1, 1, 1], "P": [1, 0, 0, 1]})
    assert set(A.group_product_association(cust, hold).cells["product_id"]) == {"P"}


def test_holm_finds_no_more_than_bh(demo_features, demo_holding):
    holm = A.group_product_association(demo_features, demo_holding, correction="holm").cells["significant"]
    bh = A.group_product_association(demo_features, demo_holding).cells["significant"]
    assert holm.sum() <= bh.sum() and not (holm & ~bh).any()


def test_a_missing_grouping_column_is_named():
    cust, hold = customers_and_holding(["a", "b"], {"P": [1, 0]})
    with pytest.raises(DataError, match=r"^group_product_association: missing column\(s\) income_band$"):
        A.group_product_association(cust, hold, by="income_band")


def test_a_holding_matrix_that_is_not_zero_one_is_refused():
    cust, hold = customers_and_holding(["a", "b"], {"P": [2, 0]})
    with pytest.raises(DataError, match="must be customers × products of 0/1 values"):
        A.group_product_association(cust, hold)


# --- co-holding ----------------------------------------------------------------------------


def test_pair_measures_by_hand_and_against_scipy():
    x = pd.DataFrame({"A": [1, 1, 1, 0, 0, 0, 1, 0], "B": [1, 1, 0, 0, 0, 1, 1, 0]})
    row = A.product_pairs(x, min_expected=0).iloc[0]
    assert (row["n_a"], row["n_b"], row["n_both"]) == (4, 4, 3)
    assert row["support"] == 3 / 8 and row["jaccard"] == 3 / 5 and row["lift"] == pytest.approx(8 * 3 / 16)
    assert row["phi"] == pytest.approx(np.corrcoef(x["A"], x["B"])[0, 1])
    assert row["p_value"] == pytest.approx(stats.chi2_contingency([[3, 1], [1, 3]], correction=False).pvalue)


def test_a_rules_confidence_is_the_share_of_antecedent_holders_with_the_consequent(demo_holding):
    rules = A.association_rules(demo_holding)
    r = rules[(rules["antecedent"] == "GOLD_YICUN") & (rules["consequent"] == "GOLD_JICUN")].iloc[0]
    both = ((demo_holding["GOLD_YICUN"] == 1) & (demo_holding["GOLD_JICUN"] == 1)).sum()
    assert r["confidence"] == pytest.approx(both / demo_holding["GOLD_YICUN"].sum())
    assert (rules["p_adjusted"] <= 0.05).all() and (rules["lift"] > 1).all()


def test_the_two_gold_products_are_the_most_associated_pair(demo_holding):
    # seed 003: the two gold-accumulation products serve highly overlapping customers
    top = A.product_pairs(demo_holding).iloc[0]
    assert {top["product_a"], top["product_b"]} == {"GOLD_JICUN", "GOLD_YICUN"} and top["significant"]


# --- relationship depth ---------------------------------------------------------------------


def test_depth_per_group_and_low_coverage_for_the_tier_by_hand():
    f = pd.DataFrame({"customer_id": [f"C{i}" for i in range(6)], "life_group": ["a", "a", "a", "b", "b", "b"],
                      "ada": [600e3, 700e3, 800e3, 1e3, 2e3, 3e3], "peak_assets": [0.0] * 6,
                      "n_products": [6, 6, 2, 1, 2, 2], "n_product_lines": [5, 5, 1, 1, 2, 2],
                      "coverage": np.array([5, 5, 1, 1, 2, 2]) / 8})
    depth = A.relationship_depth(f).set_index("life_group")
    assert depth.at["a", "mean_lines"] == pytest.approx(11 / 3)
    assert depth.at["b", "single_line_share"] == pytest.approx(1 / 3)
    low = A.low_coverage_customers(f)
    assert low["customer_id"].tolist() == ["C2"]  # a key customer 4 lines below the key median of 5
    assert (low.at[0, "tier"], low.at[0, "gap_lines"]) == ("key", 4)


# --- planted truth: the demo bank ------------------------------------------------------------


def test_significant_cells_recover_the_planted_associations(demo_association, demo_truth):
    m = demo_association.cells.merge(demo_truth, on=["grouping", "group", "product_id"], validate="1:1")
    judged = m[m["planted"] != "ambiguous"]
    truly = judged["planted"] == "association"
    found = judged["significant"]
    precision = (found & truly).sum() / found.sum()
    recall = (found & truly).sum() / truly.sum()
    assert truly.sum() >= 40 and (~truly).sum() >= 30  # enough cells of each kind to judge
    assert precision >= 0.9, judged[found & ~truly]
    assert recall >= 0.9, judged[~found & truly]


def test_logistic_regression_recovers_the_sign_of_every_planted_affinity(demo_features, demo_holding):
    odds = A.product_logit(demo_features, demo_holding).set_index(["product_id", "level"])
    for (group, product), log_odds in PLANTED_AFFINITIES.items():
        if group in ("general", "stock"):  # the reference levels
            continue
        row = odds.loc[(product, group)]
        assert np.sign(np.log(row["odds_ratio"])) == np.sign(log_odds), (group, product, row["odds_ratio"])
    bl = odds.loc[("BUSINESS_LOAN", "business_owner")]
    assert bl["ci_low"] > 1 and bl["converged"]


def test_next_best_beats_popularity_on_recall_at_3(demo_features, demo_holding):
    ev = A.evaluate_next_best(demo_features, demo_holding, k=3)
    # ~5,400 test customers: the paired difference of two hit rates has an SE of about 0.004
    # (discordant pairs ~10 %), so a 0.01 margin is more than two SEs.
    assert ev.n_test > 5000
    assert ev.recall_at_k >= ev.baseline_recall_at_k + 0.01, ev
    assert ev.precision_at_k == pytest.approx(ev.recall_at_k / 3)  # one hidden product each


def test_recommendations_never_offer_a_product_already_held(tiny_bank):
    features = customer_features(tiny_bank)
    holding = A.read_holding_matrix(tiny_bank)
    recs = A.next_best_products(features, holding, top_n=3, n_clusters=6)
    held = holding.stack()
    assert (held.loc[list(zip(recs["customer_id"], recs["product_id"]))] == 0).all()
    assert recs.groupby("customer_id")["expected_take_up"].apply(lambda s: s.is_monotonic_decreasing).all()


# --- the null bank ---------------------------------------------------------------------------

NULL_SEEDS = (1, 2, 3, 4, 5)


@pytest.fixture(scope="module")
def null_cells() -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    out = []
    for seed in NULL_SEEDS:
        # transactions do not enter holdings; few of them keep generation fast
        tables = generate_bank(preset_spec("demo", null=True, seed=seed, n_customers=8000, txn_per_customer=1.0))
        holding = A.holding_matrix(tables["holdings"], as_of=preset_spec("demo").end,
                                   product_ids=tables["products"]["product_id"])
        cells = A.group_product_association(tables["customers"], holding, by=GROUPINGS).cells
        pairs = A.product_pairs(holding)
        out.append((cells, pairs))
    return out


def test_null_bank_false_discovery_share_is_at_most_5_percent_on_average(null_cells):
    # Every cell of the null bank is null, so every discovery is false: the share of false
    # discoveries of a seed is 1 if anything is found, else 0, and BH at q = 0.05 keeps its
    # expectation at or below 0.05.
    fdp = [cells["significant"].sum() / max(cells["significant"].sum(), 1) for cells, _ in null_cells]
    assert np.mean(fdp) <= 0.05, fdp


def test_null_bank_raw_p_values_are_calibrated(null_cells):
    # 5 seeds × 135 cells; binomial SE of a 5 % share is 0.008, about 0.011 allowing for the
    # dependence of a product's cells; ±3 SE gives [0.02, 0.08].
    share = np.mean(np.concatenate([(cells["p_value"] < 0.05).to_numpy() for cells, _ in null_cells]))
    assert 0.02 <= share <= 0.08


def test_null_bank_gold_products_are_not_associated(null_cells):
    for _, pairs in null_cells:
        gold = pairs[(pairs["product_a"].str.startswith("GOLD")) & (pairs["product_b"].str.startswith("GOLD"))]
        assert not gold["significant"].any()


# --- plot, report section, notebook -----------------------------------------------------------


def test_heatmap_marks_exactly_the_significant_cells(demo_association):
    cells = demo_association.cells[demo_association.cells["grouping"] == "life_group"]
    ax = residual_heatmap(cells)
    marks = [t.get_text() for t in ax.texts]
    assert len(marks) == cells["significant"].sum()
    assert significance_mark(0.0004) == "***" and significance_mark(0.03) == "*" and significance_mark(0.2) == ""
    ax.figure.clf()


def test_report_section_shows_heatmap_reading_and_a_masked_cross_sell_list(tiny_bank, monkeypatch):
    from crmstudy.reports.branch import load_context
    from crmstudy.reports.section_association import section_association

    shown = publish_capture(monkeypatch)
    ctx = load_context(tiny_bank, "B001")
    out = section_association(ctx, tiny_bank, top_n=10)
    kinds = [next(iter(b)) for b in shown]
    assert "image/png" in kinds
    readings = [b["text/markdown"] for b in shown if b.get("text/markdown", "").startswith(">")]
    assert len(readings) == 2 and "cells differ" in readings[0]
    assert len(out.cross_sell) == 10 and out.cross_sell["Customer"].str.fullmatch(r"C\*\*\*\d{4}").all()
    text = " ".join(b.get("text/markdown", "") + b.get("text/html", "") for b in shown)
    full_ids = set(re.findall(r"C\d{7}", text))
    assert not full_ids, f"unmasked customer ids in the report: {sorted(full_ids)[:3]}"
    assert set(out.association.cells["customers"].groupby(out.association.cells["product_id"]).sum()) == {
        int(ctx.features["customer_id"].isin(A.read_holding_matrix(tiny_bank, branch="B001").index).sum())}


@pytest.mark.slow
def test_training_notebook_runs_on_the_tiny_bank(tiny_bank, tmp_path):
    import papermill
    import nbformat
    from pathlib import Path

    source = Path(__file__).resolve().parents[1] / "notebooks" / "training" / "04_segment_product.ipynb"
    nb = nbformat.read(source, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.cells[0].cell_type == "markdown" and "**For**" in nb.cells[0].source
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "stored with outputs"
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)
    out = tmp_path / "04_out.ipynb"
    papermill.execute_notebook(str(source), str(out), parameters={"data_dir": str(tiny_bank)},
                               kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    done = nbformat.read(out, as_version=4)
    errors = [o for c in done.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
