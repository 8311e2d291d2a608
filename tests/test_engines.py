"""One definition, two engines: the customer-level definitions give the same answers on DuckDB and on Spark.

The feature definitions in ``crmstudy.feature_defs``, the footprint signals and
outcomes (``crmstudy.footprint``) and the holding matrix
(``crmstudy.association.read_holding_matrix``) run on the tiny bank with DuckDB
and with Spark in local mode; every customer's figures must agree.  Counts,
ids and timestamps agree exactly; money and shares to 1e-9 relative, because
Spark adds the same numbers in another order (per partition, then across).

pyspark and Java 17 are test requirements: without them these tests fail,
they are not skipped.  Spark starts once for the module (about 10 s).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyspark  # noqa: F401  (a missing pyspark fails here, not as a skip)
import pytest

from crmstudy import association as A
from crmstudy import feature_defs as fd
from crmstudy import footprint as fp
from crmstudy.bank import Bank
from crmstudy.errors import ParamsError, SignalSkipped

YEAR = fd.Period.of("2025-01-01", "2025-12-31")
SPRING = fd.Period.of("2025-03-15", "2025-06-20")
JAN_APR = fd.Period.of("2025-01-01", "2025-04-30")
MAY_AUG = fd.Period.of("2025-05-01", "2025-08-31")
RTOL = 1e-9
DEFINITIONS = [fd.customer_assets, fd.transaction_summary, fd.product_summary, fd.customer_features]


@pytest.fixture(scope="module")
def spark_engine(tiny_bank, spark):
    eng = fd.backend("spark", tiny_bank, session=spark)  # the worker's session (tests/conftest.py), one JVM
    yield eng
    eng.close()  # leaves a session passed in running


@pytest.fixture(scope="module")
def duck_engine(tiny_bank):
    return fd.backend("duckdb", tiny_bank)


def assert_same_per_customer(duck: pd.DataFrame, spark: pd.DataFrame) -> None:
    assert list(spark.columns) == list(duck.columns)
    assert spark["customer_id"].tolist() == duck["customer_id"].tolist()
    for col in duck.columns[1:]:
        a, b = duck[col], spark[col]
        assert b.isna().tolist() == a.isna().tolist(), f"{col}: missing values differ"
        a, b = a[a.notna()].to_numpy(), b[b.notna()].to_numpy()
        if np.issubdtype(a.dtype, np.floating):
            np.testing.assert_allclose(b, a, rtol=RTOL, atol=0, err_msg=col)
        else:
            assert (b == a).all(), f"{col}: values differ"


@pytest.mark.spark
@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "period, branch", [(YEAR, None), (SPRING, None), (YEAR, "B002")], ids=["year", "spring", "branch-B002"]
)
def test_spark_and_duckdb_give_the_same_features_per_customer(duck_engine, spark_engine, definition, period, branch):
    duck = duck_engine.to_pandas(definition(duck_engine.tables, period, branch=branch))
    spark = spark_engine.to_pandas(definition(spark_engine.tables, period, branch=branch))
    assert len(duck) > 100  # the tiny bank has customers enough for a difference to show
    assert_same_per_customer(duck, spark)


# --- the footprint signals and outcomes, and the holding matrix ------------------------------------


@pytest.mark.spark
@pytest.mark.parametrize(
    "window, branch", [(JAN_APR, None), (SPRING, None), (JAN_APR, "B002")], ids=["jan-apr", "spring", "branch-B002"]
)
def test_spark_and_duckdb_give_the_same_footprint_signals_per_customer(duck_engine, spark_engine, window, branch):
    with warnings.catch_warnings():
        warnings.simplefilter("error", SignalSkipped)  # the tiny bank has every table and column they read
        duck = fp.compute_signals(duck_engine, window, branch=branch)
        spark = fp.compute_signals(spark_engine, window, branch=branch)
    assert list(duck.columns) == ["customer_id"] + [s.name for s in fp.SIGNALS]
    assert len(duck) > 100
    assert_same_per_customer(duck, spark)


@pytest.mark.spark
@pytest.mark.parametrize("outcome", ["value", "risk"])
def test_spark_and_duckdb_give_the_same_outcomes_per_customer(duck_engine, spark_engine, outcome):
    def run(eng):
        if outcome == "value":
            return fp.value_outcome(eng, JAN_APR, MAY_AUG)
        return fp.risk_outcome(eng, MAY_AUG, opened_before=JAN_APR.start)

    duck = run(duck_engine)
    assert len(duck) > 100 and 0 < duck["y"].sum() < len(duck)
    assert_same_per_customer(duck, run(spark_engine))


@pytest.mark.spark
@pytest.mark.parametrize("branch", [None, "B002"])
def test_spark_and_duckdb_give_the_same_holding_matrix(duck_engine, spark_engine, branch):
    duck = A.read_holding_matrix(duck_engine, as_of=YEAR.end, branch=branch)
    assert len(duck) > 100 and duck.to_numpy().sum() > len(duck)
    pd.testing.assert_frame_equal(A.read_holding_matrix(spark_engine, as_of=YEAR.end, branch=branch), duck)


@pytest.mark.spark
def test_a_bank_opened_once_binds_to_either_engine(tiny_bank, spark_engine):
    bank = Bank.of(tiny_bank)
    assert fd.backend("duckdb", bank).con is bank.con  # the bank's one connection, not a new one
    assert fd.engine_of(bank).con is bank.con
    eng = fd.backend("spark", bank, session=spark_engine.session)
    assert set(eng.tables) == set(fd.TABLES) | {"visits"}  # the optional table of the RM-contact signals too


def test_the_signal_comparison_covers_missing_values_and_every_source(duck_engine):
    # shares without a denominator, customers without visits or inflows: the null paths are compared too
    sig = fp.compute_signals(duck_engine, JAN_APR)
    for name in ("premium_fuel_share", "income_trend", "visit_positive_share", "payroll_regularity"):
        assert sig[name].isna().any() and sig[name].notna().any(), name
    assert (sig["rail_trips"] > 0).any() and sig["external_credit_lines"].notna().any()


def test_the_comparison_covers_null_shares_and_payroll_only_customers(duck_engine):
    # third_party_out_share and last_active_ts are null for some customers: the null paths are compared too
    # (over the year every tiny-bank customer acts at least once; the spring window has quiet ones)
    year, spring = (duck_engine.to_pandas(fd.transaction_summary(duck_engine.tables, p)) for p in (YEAR, SPRING))
    assert spring["last_active_ts"].isna().any() and year["last_active_ts"].notna().any()
    assert year["third_party_out_share"].notna().any() and spring["third_party_out_share"].isna().any()


@pytest.mark.spark
def test_spark_reads_existing_tables_by_name_as_on_a_cluster(spark_engine, duck_engine, tmp_path):
    # stands in for Hive: balances and customers saved as tables of a database, named in the mapping
    # (with the other tables, by their view names); a session passed in is left running
    spark = spark_engine.session
    spark.sql(f"CREATE DATABASE crm_test LOCATION '{(tmp_path / 'crm_test').as_posix()}'")
    try:
        names = {t: spark_engine.tables[t].get_name() for t in fd.TABLES}
        for t in ("balances", "customers"):
            spark.table(names[t]).write.saveAsTable(f"crm_test.dw_{t}")
            names[t] = f"crm_test.dw_{t}"
        hive = fd.backend("spark", session=spark, tables=names)
        assert_same_per_customer(
            duck_engine.to_pandas(fd.customer_assets(duck_engine.tables, SPRING, branch="B001")),
            hive.to_pandas(fd.customer_assets(hive.tables, SPRING, branch="B001")),
        )
        hive.close()
        assert not spark.sparkContext._jsc.sc().isStopped()
    finally:
        spark.sql("DROP DATABASE crm_test CASCADE")


@pytest.mark.spark
def test_spark_tables_must_cover_every_table_the_definitions_read(spark_engine):
    with pytest.raises(ParamsError, match="'tables' must name a Spark table for holdings"):
        fd.backend("spark", session=spark_engine.session, tables={t: t for t in fd.TABLES if t != "holdings"})


def test_an_unknown_engine_is_named():
    with pytest.raises(ParamsError, match="engine must be one of duckdb, spark, got 'polars'"):
        fd.backend("polars")


# --- the profit model's drivers and roll-up (issue 16) ------------------------------------------


@pytest.mark.spark
@pytest.mark.parametrize("branch", [None, "B002"], ids=["bank", "branch-B002"])
def test_spark_and_duckdb_give_the_same_profit_drivers(duck_engine, spark_engine, branch):
    from crmstudy.profit import drivers

    keys = ["customer_id", "product_id", "month"]
    for definition, by in (
        (drivers.account_months, keys),
        (drivers.channel_months, ["customer_id", "month", "channel"]),
    ):
        duck = duck_engine.to_pandas(definition(duck_engine.tables, YEAR, branch=branch)).sort_values(
            by, ignore_index=True
        )
        spark = spark_engine.to_pandas(definition(spark_engine.tables, YEAR, branch=branch)).sort_values(
            by, ignore_index=True
        )
        assert len(duck) > 1000 and list(spark.columns) == list(duck.columns)
        for col in duck.columns:
            a, b = duck[col].to_numpy(), spark[col].to_numpy()
            if np.issubdtype(a.dtype, np.floating):
                np.testing.assert_allclose(b, a, rtol=RTOL, atol=0, err_msg=col)
            else:
                assert (pd.Series(b).astype(str) == pd.Series(a).astype(str)).all(), col


@pytest.mark.spark
def test_spark_and_duckdb_give_the_same_profit_rollups_to_the_cent(tiny_bank, spark_engine):
    import crmstudy.profit as pf

    profit = pf.profit_model(tiny_bank)
    ducks, sparks = pf.rollups(profit), pf.rollups(profit, engine=spark_engine)  # the lines sent to Spark once
    assert set(sparks) == set(pf.LEVELS)
    for level in pf.LEVELS:
        duck, spark = ducks[level], sparks[level]
        pd.testing.assert_frame_equal(spark.reset_index(drop=True), duck.reset_index(drop=True), check_dtype=False)
        assert (spark["contribution"].astype("int64") == duck["contribution"]).all()
