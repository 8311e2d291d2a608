"""The catalogue's rules on Spark: the same SQL, translated from DuckDB's dialect by sqlglot.

The rules are written once, in :mod:`.catalogue`, as ANSI SQL with window
functions (range frames over dates).  :func:`rule_sql_spark` parses a rule in
DuckDB's dialect and writes it in Spark's (sqlglot: the translator Ibis itself
compiles with), naming the tables of a Spark engine
(:func:`crmstudy.feature_defs.backend`); :func:`rules_on_spark` runs every
rule there.  ``tests/events/test_spark.py`` checks that each rule gives the same
rows on both engines.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlglot
from sqlglot import exp

from ..params import EventParams, TierParams
from .catalogue import rule_sql

__all__ = ["rule_sql_spark", "rules_on_spark"]

#: The columns every rule returns.
RULE_COLUMNS = ["customer_id", "day", "kind", "amount", "base", "detail"]


def rule_sql_spark(
    rule: str, params: EventParams, lo: date, hi: date, *, start: date, tiers: TierParams, names: dict[str, str]
) -> str:
    """One rule's SQL in Spark's dialect, reading the tables ``names`` (crmstudy table -> Spark view)."""
    tree = sqlglot.parse_one(rule_sql(rule, params, lo, hi, start=start, tiers=tiers), read="duckdb")

    def rename(node):
        if isinstance(node, exp.Table) and node.name in names:
            return exp.to_table(names[node.name]).as_(node.alias or node.name)
        return node

    return tree.transform(rename).sql(dialect="spark")


def rules_on_spark(
    engine, bank, rules, params: EventParams, lo: date, hi: date, *, start: date, tiers: TierParams
) -> dict[str, pd.DataFrame]:
    """Every rule of ``rules`` on the Spark ``engine``: its rows, sorted, as pandas.

    ``bank`` gives the tables the engine does not hold (``staff``, for owners who left),
    read into temporary views beside the engine's.
    """
    from ..feature_defs import _spark_read

    names = {t: tbl.get_name() for t, tbl in engine.tables.items()}
    prefix = names["customers"][: -len("customers")]
    for t in ("staff",):
        if t not in names and bank.has(t):
            _spark_read(engine.session, bank.path(t)).createOrReplaceTempView(prefix + t)
            names[t] = prefix + t
    out = {}
    for r in rules:
        if r == "maturity" and "maturity_date" not in engine.tables["holdings"].columns:
            # a bank without maturity dates has no maturity event (DuckDB's typed view: a NULL column)
            out[r] = _tidy(pd.DataFrame({c: pd.Series(dtype="object") for c in RULE_COLUMNS}))
            continue
        sql = rule_sql_spark(r, params, lo, hi, start=start, tiers=tiers, names=names)
        df = engine.session.sql(sql).toPandas()
        out[r] = _tidy(df)
    return out


def _tidy(df: pd.DataFrame) -> pd.DataFrame:
    """A rule's rows in one order and types, for comparing engines."""
    df = df[RULE_COLUMNS].copy()
    df["day"] = pd.to_datetime(df["day"]).astype("datetime64[s]")
    df["customer_id"] = df["customer_id"].astype(str)
    for c in ("amount", "base"):
        df[c] = df[c].astype("float64")
    df["detail"] = df["detail"].astype("object").where(df["detail"].notna(), None)
    return df.sort_values(["day", "kind", "customer_id", "detail"], na_position="last", ignore_index=True)
