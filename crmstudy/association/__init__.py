"""Segment × product association: which customers hold which products, and what to offer next.

source 000/003: integrate deposits, loans, cards and e-banking into one customer
view, classify customers (age, gender, occupation, income, life situation),
count the products each class uses, find the correlation between customer
features and product types, find similar groups and what made a product sell;
two gold-accumulation products (积存金, 易存金) serve overlapping customers.
source 001: relationship depth is product coverage (产品覆盖率).

What this package gives, dataframes in and out, one idea per module (every
name below is importable from ``crmstudy.association`` itself):

* :mod:`~crmstudy.association.holdings` — :func:`holding_matrix` /
  :func:`read_holding_matrix`, customer × product 0/1 at a day; the one
  definition of "holds a product on day *t*" used here: ``open_date <= t`` and
  (``close_date`` is missing or ``close_date > t``), the same rule as
  :func:`crmstudy.features.product_summary`.  A customer who holds nothing on
  that day is no longer a customer and has no row.
* :mod:`~crmstudy.association.contingency` — :func:`contingency_test`: Pearson
  χ² or G test of one table, adjusted standardized residuals, Cramér's V with
  Bergsma's (2013) bias correction.
* :func:`adjust_pvalues` — Benjamini–Hochberg (default) or Holm; it lives in
  :mod:`crmstudy.stats` with the vectorised 2 × 2 tests, shared by the analyses.
* :mod:`~crmstudy.association.groups` — :func:`group_product_association`: for
  every group × product cell: counts, holding rates, lift, adjusted residual, a
  per-cell test (the group against everyone else), p-values corrected over the
  whole family of cells; and per product the group × holds table test and
  Cramér's V.
* :mod:`~crmstudy.association.logit` — :func:`product_logit`: per-product
  logistic regression (statsmodels formulas), odds ratios with confidence
  intervals.
* :mod:`~crmstudy.association.pairs` — :func:`product_pairs`,
  :func:`association_rules`: co-holding: lift, Jaccard, φ with significance;
  one-to-one rules filtered by FDR.
* :mod:`~crmstudy.association.depth` — :func:`relationship_depth`,
  :func:`low_coverage_customers`: coverage per group, RM or branch; customers
  with few product lines for their tier.
* :mod:`~crmstudy.association.next_best` — :class:`SimilarCustomers`,
  :func:`next_best_products`, :func:`evaluate_next_best`: KMeans look-alikes,
  next-best-product ranking, and its hidden-product evaluation against a
  popularity baseline.
* :mod:`~crmstudy.association.history` — :func:`history_features`: what a
  customer did in the months up to a cut (footprints, balance trend and peak,
  recent openings), read from nothing after it: the take-up model's history.
* :mod:`~crmstudy.association.takeup_model` — :class:`PropensityModel`: one
  L2 logistic regression per product (scikit-learn, its strength chosen by
  cross-validation on the training window) and the baselines' rates.
* :mod:`~crmstudy.association.propensity` — :func:`take_up_data`,
  :func:`evaluate_propensity`, :func:`bank_judgement`: per-product take-up
  within a horizon, judged on a time hold-out against popularity and
  popularity within group and tenure; what the report offers.

The charts (:func:`crmstudy.plots.residual_heatmap`) are in :mod:`crmstudy.plots`.

Planted truth of the synthetic bank (used by the tests): a life group also
shifts planted wealth, and wealth raises the odds of wealth products, so a
group × product cell can be associated through wealth where no direct
affinity is planted.  The truth is therefore taken from the per-customer
planted log-odds ``truth.affinity_<PRODUCT>``: the *implied lift* of cell
(g, p) is mean(sigmoid(affinity_p)) among g over the same mean among everyone
else.  A cell is a *planted association* when the implied lift lies outside
[0.8, 1.25], *planted null* inside [0.95, 1.05], and ambiguous (left out of
precision and recall) in between.
"""

from __future__ import annotations

from ..stats import MIN_EXPECTED, Correction, Method, adjust_pvalues
from .adjusted import confounder_strata, mantel_haenszel_cells
from .contingency import (
    ContingencyTest,
    adjusted_residuals,
    adjusted_residuals_2col,
    contingency_test,
    cramers_v,
    expected_counts,
)
from .depth import low_coverage_customers, relationship_depth
from .groups import GroupProductAssociation, group_product_association
from .history import history_features
from .holdings import holding_matrix, read_holding_matrix
from .logit import product_logit
from .next_best import (
    SIMILARITY_CATEGORICAL,
    SIMILARITY_LOG,
    SIMILARITY_NUMERIC,
    NextBestEvaluation,
    SimilarCustomers,
    evaluate_next_best,
    next_best_products,
    paired_bootstrap_interval,
)
from .pairs import association_rules, product_pairs
from .propensity import (
    PropensityEvaluation,
    PropensityModel,
    bank_judgement,
    deployed_model,
    evaluate_propensity,
    take_up_data,
)

__all__ = [
    "MIN_EXPECTED",
    "SIMILARITY_CATEGORICAL",
    "SIMILARITY_LOG",
    "SIMILARITY_NUMERIC",
    "ContingencyTest",
    "Correction",
    "GroupProductAssociation",
    "Method",
    "NextBestEvaluation",
    "PropensityEvaluation",
    "PropensityModel",
    "SimilarCustomers",
    "bank_judgement",
    "deployed_model",
    "evaluate_propensity",
    "take_up_data",
    "history_features",
    "adjust_pvalues",
    "adjusted_residuals",
    "adjusted_residuals_2col",
    "association_rules",
    "contingency_test",
    "cramers_v",
    "evaluate_next_best",
    "expected_counts",
    "group_product_association",
    "holding_matrix",
    "low_coverage_customers",
    "next_best_products",
    "confounder_strata",
    "mantel_haenszel_cells",
    "paired_bootstrap_interval",
    "product_logit",
    "product_pairs",
    "read_holding_matrix",
    "relationship_depth",
]
