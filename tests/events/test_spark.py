"""The same event definitions on DuckDB and Spark: every rule of the catalogue gives the same rows on both.

The rules are written once as SQL (crmstudy.events.catalogue) and translated to Spark's dialect by
sqlglot (crmstudy.events.spark).  pyspark and Java 17 are test requirements (as tests/test_engines.py):
without them these tests fail rather than skip.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyspark  # noqa: F401  (a missing pyspark fails here, not as a skip)
import pytest

from crmstudy import feature_defs as fd
from crmstudy.bank import Bank
from crmstudy.events.catalogue import rule_sql
from crmstudy.events.detect import _rules
from crmstudy.events.spark import _tidy, rules_on_spark
from crmstudy.params import ReportParams

pytestmark = pytest.mark.spark
#: A day, a month end (the tier review) and the whole year.
RANGES = [
    (date(2025, 6, 17), date(2025, 6, 17)),
    (date(2025, 6, 30), date(2025, 6, 30)),
    (date(2025, 1, 1), date(2025, 12, 31)),
]


@pytest.fixture(scope="module")
def session(spark):
    return spark  # the worker's session (tests/conftest.py): one JVM for this file and tests/test_engines.py


@pytest.mark.parametrize("which", ["tiny_bank", "hand_bank"])
def test_every_rule_gives_the_same_rows_on_duckdb_and_spark(which, session, request):
    folder = request.getfixturevalue(which)
    bank, p = Bank.open(folder), ReportParams()
    engine = fd.backend("spark", folder, session=session)
    rules = _rules(bank)  # maturity only where holdings has maturity_date (not the hand-made bank)
    seen = dict.fromkeys(rules, 0)
    for lo, hi in RANGES:
        spark = rules_on_spark(engine, bank, rules, p.events, lo, hi, start=bank.period.start, tiers=p.tiers)
        for rule in rules:
            duck = _tidy(
                bank.con.execute(rule_sql(rule, p.events, lo, hi, start=bank.period.start, tiers=p.tiers)).df()
            )
            pd.testing.assert_frame_equal(spark[rule], duck, check_exact=False, rtol=1e-9, obj=f"{rule} {lo}..{hi}")
            seen[rule] += len(duck)
    if which == "tiny_bank":  # the comparison is not empty: every rule but owner_left fires in the tiny year
        assert all(n > 0 for r, n in seen.items() if r != "owner_left"), seen
    else:  # the hand-made bank plants a departing owner, a salary stop, a drop, a dormancy, a large outflow
        assert all(seen[r] > 0 for r in ("owner_left", "salary_stop", "balance_drop", "dormancy_onset", "large_flow"))
