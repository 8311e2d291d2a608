"""Compiled queries of a branch: the template of one branch gives the same SQL as Ibis compiling each branch."""

from __future__ import annotations

import ibis
import pytest

from crmstudy import feature_defs as fd
from crmstudy.bank import Bank
from crmstudy.profit.drivers import account_months, channel_months

QUERIES = {
    "assets": lambda t, p, b: fd.customer_assets(t, p, branch=b),
    "accounts": lambda t, p, b: account_months(t, p, branch=b),
    "channels": lambda t, p, b: channel_months(t, p, branch=b, customer_initiated=True),
}


@pytest.mark.parametrize("query", QUERIES)
def test_a_branch_query_from_its_template_is_what_ibis_compiles(tiny_bank, monkeypatch, query):
    bank = Bank.open(tiny_bank)
    eng = fd.backend("duckdb", bank)
    monkeypatch.setattr(fd, "_TEMPLATES", {})
    compiled = []
    real = ibis.to_sql
    monkeypatch.setattr(fd.ibis, "to_sql", lambda e, **kw: compiled.append(1) or real(e, **kw))
    for branch in ("B001", "B002", "B'03"):  # a quote in the id stays a SQL string literal
        expr = QUERIES[query](eng.tables, bank.period, branch)
        assert eng.sql(expr) == real(expr, dialect="duckdb")
    assert len(compiled) == 1, "the second and third branch reuse the first one's template"
    assert not any("B001" in sql for sql in fd._TEMPLATES.values()), "the template names no branch"


def test_a_query_of_the_whole_bank_is_compiled_once_and_reused_on_a_new_connection(tiny_bank, monkeypatch):
    bank = Bank.open(tiny_bank)
    monkeypatch.setattr(fd, "_TEMPLATES", {})
    compiled = []
    real = ibis.to_sql
    monkeypatch.setattr(fd.ibis, "to_sql", lambda e, **kw: compiled.append(1) or real(e, **kw))
    for _ in range(2):  # a second connection binds new table objects of the same name and schema
        eng = fd.backend("duckdb", bank)
        expr = fd.customer_assets(eng.tables, bank.period)
        assert eng.sql(expr) == real(expr, dialect="duckdb")
    assert len(compiled) == 1, "the second connection reuses the first one's compiled SQL"
    assert len(fd._TEMPLATES) == 1
