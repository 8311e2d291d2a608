"""Fixtures of the association tests: the demo bank's holdings, association and planted truth; null banks.

The banks themselves (the synthetic tiny and demo banks) come from tests/conftest.py.  The
fixtures here serve several test modules, so they are computed once per session.

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

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from crmstudy import association as A
from crmstudy.synth import generate_bank, preset_spec

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
    t["planted"] = np.select(
        [clear & (t["implied_z"].abs() >= MIN_IMPLIED_Z), null], ["association", "null"], "ambiguous"
    )
    return t


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo_holding(demo_bank) -> pd.DataFrame:
    return A.read_holding_matrix(demo_bank)


@pytest.fixture(scope="session")
def demo_association(demo_features, demo_holding) -> A.GroupProductAssociation:
    return A.group_product_association(demo_features, demo_holding, by=GROUPINGS)


@pytest.fixture(scope="session")
def demo_truth(demo_bank, demo_features) -> pd.DataFrame:
    return planted_cells(demo_features, pd.read_parquet(demo_bank / "truth.parquet"), GROUPINGS)


# --- the null bank ---------------------------------------------------------------------------

NULL_SEEDS = (1, 2, 3, 4, 5)


@pytest.fixture(scope="session")
def null_cells() -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    out = []
    for seed in NULL_SEEDS:
        # transactions do not enter holdings; few of them keep generation fast
        tables = generate_bank(preset_spec("demo", null=True, seed=seed, n_customers=8000, txn_per_customer=1.0))
        holding = A.holding_matrix(
            tables["holdings"], as_of=preset_spec("demo").end, product_ids=tables["products"]["product_id"]
        )
        cells = A.group_product_association(tables["customers"], holding, by=GROUPINGS).cells
        pairs = A.product_pairs(holding)
        out.append((cells, pairs))
    return out
