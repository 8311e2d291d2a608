"""The tiny banks' profit lines, priced once per session."""

from __future__ import annotations

import pytest

import crmstudy.profit as pf


@pytest.fixture(scope="session")
def tiny_inputs(tiny_bank):
    return pf.profit_inputs(tiny_bank)


@pytest.fixture(scope="session")
def tiny_profit(tiny_inputs) -> pf.Profit:
    return pf.contribution(tiny_inputs)


@pytest.fixture(scope="session")
def null_inputs(tiny_null_bank):
    return pf.profit_inputs(tiny_null_bank)


@pytest.fixture(scope="session")
def null_profit(null_inputs) -> pf.Profit:
    return pf.contribution(null_inputs)
