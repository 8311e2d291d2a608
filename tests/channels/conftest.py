"""Customers with area type and tier, and their channel use, for the tiny banks."""

from __future__ import annotations

import pytest

import crmstudy.channels as C
from crmstudy.bank import Bank
from crmstudy.features import customer_features
from crmstudy.tiers import assign_tiers


def _customers(path):
    bank = Bank.open(path)
    f = customer_features(bank).merge(bank.branches[["branch_id", "area_type"]], on="branch_id")
    f["tier"] = assign_tiers(f).astype(str)
    return f, C.channel_use(bank)


@pytest.fixture(scope="session")
def tiny_channels(tiny_bank):
    return _customers(tiny_bank)


@pytest.fixture(scope="session")
def null_channels(tiny_null_bank):
    return _customers(tiny_null_bank)
