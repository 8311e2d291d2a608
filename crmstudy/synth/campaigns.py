"""Marketing campaigns with a random control group and a planted take-up effect.

Source 004 asks a CRM system for "the effect of promotions".  A campaign has a
target rule, dates, a channel and an offer; every eligible customer is
randomised to the treated group (contacted) or the control group (not
contacted) at the campaign's start.  Anyone may take the offered product up by
themselves during the campaign window (the baseline); contact adds a planted
uplift, switched off in the null bank, so an analysis must recover the uplift
on the demo bank and find an interval covering 0 on the null bank.

Eligibility reads only observable data as of the start: customers open
before the start and not churned by then, without the offered product open
on that day, and (for the wealth campaign) with at least the target bank
assets.  Draws come from the block's own campaign stream
(:func:`crmstudy.synth.economics.block_stream`).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from .columns import labels
from .presets import BankSpec

# (campaign id, name, offered product, channel, start, end, control share,
#  baseline take-up, planted uplift, median amount CNY, minimum target assets, maximum age)
CAMPAIGNS = (
    ("CMP01", "Wealth-management drive", "WEALTH_MGMT", "rm", (7, 1), (9, 30), 0.25, 0.02, 0.06, 80_000, 50_000, 200),
    (
        "CMP02",
        "Credit card for app users",
        "CREDIT_CARD",
        "mobile_app",
        (4, 1),
        (5, 31),
        0.30,
        0.015,
        0.03,
        20_000,
        0,
        60,
    ),
)
CAMPAIGN_COLUMNS = ("campaign_id", "campaign_name", "offer_product_id", "channel", "start_date", "end_date")


def _day(spec: BankSpec, md: tuple[int, int]) -> np.datetime64:
    return np.datetime64(date(spec.start.year, *md), "D")


def _target_rule(c) -> str:
    rule = [f"no open {c[2]}", "customer before the start", "not churned by the start"]
    if c[10]:
        rule.insert(0, f"target bank assets >= {c[10]:,}")
    if c[11] < 200:
        rule.append(f"age < {c[11]}")
    return "; ".join(rule)


def campaigns_table(spec: BankSpec) -> pd.DataFrame:
    """One row per campaign: id, name, offered product, channel, dates, target rule, control share."""
    rows = [
        (c[0], c[1], c[2], c[3], _day(spec, c[4]), _day(spec, c[5]), _target_rule(c), c[6])
        for c in CAMPAIGNS
        if _day(spec, c[5]) <= np.datetime64(spec.end, "D")
    ]
    df = pd.DataFrame(rows, columns=[*CAMPAIGN_COLUMNS, "target_rule", "control_share"])
    for col in ("start_date", "end_date"):
        df[col] = df[col].to_numpy().astype("datetime64[ms]")
    return df


def make_contacts(
    spec: BankSpec, customers: pd.DataFrame, truth: pd.DataFrame, holdings: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Every eligible customer of every campaign: group, take-up and the amount placed.

    Returns
    -------
    pd.DataFrame
        ``campaign_id, customer_id, group`` (``treated`` or ``control``),
        ``contact_date`` (treated only), ``took_up``, ``take_up_date`` and
        ``amount`` (CNY placed, or the card's limit; 0 without take-up).
    """
    parts = []
    cid = customers["customer_id"].to_numpy(dtype=object)
    opened = customers["open_date"].to_numpy().astype("datetime64[D]")
    churn = truth["churn_date"].to_numpy().astype("datetime64[D]")
    assets = truth["bank_assets"].to_numpy()
    age = customers["age"].to_numpy()
    for c in CAMPAIGNS:
        start, end = _day(spec, c[4]), _day(spec, c[5])
        if end > np.datetime64(spec.end, "D"):
            continue
        h = holdings[holdings["product_id"] == c[2]]
        h_open = h["open_date"].to_numpy().astype("datetime64[D]")
        h_close = h["close_date"].to_numpy().astype("datetime64[D]")
        live = (h_open <= start) & (np.isnat(h_close) | (h_close > start))
        has = np.isin(cid, h["customer_id"].to_numpy(dtype=object)[live])
        ok = (opened < start) & (np.isnat(churn) | (churn > start)) & ~has & (assets >= c[10]) & (age < c[11])
        idx = np.flatnonzero(ok)
        m = len(idx)
        treated = rng.random(m) >= c[6]
        days = int((end - start).astype(int)) + 1
        contact = start + rng.integers(0, min(14, days), size=m).astype("timedelta64[D]")
        uplift = 0.0 if spec.null else c[8]
        took = rng.random(m) < c[7] + uplift * treated
        # the treated take up after their contact, the control group any time in the window
        first = np.where(treated, contact, start)
        room = np.maximum((end - first).astype(int), 1)
        when = first + (rng.random(m) * room).astype(int).astype("timedelta64[D]")
        amount = np.round(c[9] * np.exp(0.6 * rng.standard_normal(m)), -2)
        parts.append(
            pd.DataFrame(
                {
                    "campaign_id": labels([c[0]], np.zeros(m, dtype=np.int64)),
                    "customer_id": cid[idx],
                    "group": labels(["control", "treated"], treated.astype(np.int64)),
                    "contact_date": np.where(treated, contact, np.datetime64("NaT")).astype("datetime64[ms]"),
                    "took_up": took,
                    "take_up_date": np.where(took, when, np.datetime64("NaT")).astype("datetime64[ms]"),
                    "amount": np.where(took, amount, 0.0),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(CONTACT_COLUMNS))


CONTACT_COLUMNS = ("campaign_id", "customer_id", "group", "contact_date", "took_up", "take_up_date", "amount")
