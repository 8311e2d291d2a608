"""Ingest tests open banks in other currencies (EUR, HKD): each test gives the process its currency back."""

from __future__ import annotations

import pytest

from crmstudy import i18n


@pytest.fixture(autouse=True)
def _restore_the_currency():
    # load_context and a report run set the process-wide currency from the bank (i18n.set_currency)
    previous = i18n.current_currency()
    yield
    i18n.set_currency(previous)
