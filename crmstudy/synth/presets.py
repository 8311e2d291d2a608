"""Sizes of synthetic banks and the knobs of the generative model.

Every realism figure cites where it comes from; see docs/generative_model.md.
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass
from datetime import date

from ..errors import ParamsError


@dataclass(frozen=True)
class BankSpec:
    """What to generate.

    Parameters
    ----------
    n_branches, n_customers : int
        Size of the bank.
    start : datetime.date
        First day of the observed period.
    days : int
        Length of the observed period in days (one year by default).
    txn_per_customer : float
        Mean transactions per active customer over the period.
    seed : int
        Seed of every random draw; the same spec gives byte-identical files.
    wealth_median : float
        Median true wealth (CNY) of the body of the law before the planted shifts; 30,000 was
        the old law.  Lower puts less of the book in the middle (the published books hold
        under a fifth of their assets below 500k).
    wealth_tail_df : float
        Degrees of freedom of the Student-t behind log wealth (the body of the law; 12).
    wealth_top_share, wealth_top_floor, wealth_pareto_alpha : float
        The top of the wealth law (issue 16 realism): the richest ``wealth_top_share`` of
        customers have true wealth Pareto above ``wealth_top_floor`` (CNY) with index
        ``wealth_pareto_alpha`` (same ranks as the body's draw, so every planted effect of
        wealth stays).
        Defaults 0.045 and 1.1 put the demo bank's >= 500k customers near the published 2 %
        holding about 80 % of assets (docs/profit.md, realism table); a top share of 0 is the
        old log-normal-t law.
    near_empty_share : float
        Share of customers whose accounts are near-empty (bank assets × 0.001), drawn from a
        stream of its own; 0 draws nothing.  Default 0.25 (real books carry many near-empty
        accounts).
    branch_channel_keep : float
        Probability that a transaction drawn for the counter, a smart counter or an ATM stays
        there (cash withdrawals always do); the rest go to the mobile app, and payroll credits
        arrive by the employer's batch (online banking) instead of the counter.  Drawn from a
        stream of its own; 1 is the old channel mix.  Default 0.2: about 90 % of transactions
        off the branch, as Chinese banks report.
    null : bool
        Switch every planted effect off (the *null bank*): observed traits,
        products, traces, visit outcomes and churn become independent of the
        latent truth and of each other, while marginal distributions stay.
    """

    n_branches: int = 8
    n_customers: int = 20_000
    start: date = date(2025, 1, 1)
    days: int = 365
    txn_per_customer: float = 60.0
    seed: int = 0
    null: bool = False
    wealth_median: float = 12_000.0
    wealth_tail_df: float = 12.0
    wealth_top_share: float = 0.055
    wealth_top_floor: float = 800_000.0
    wealth_pareto_alpha: float = 1.55
    near_empty_share: float = 0.3
    branch_channel_keep: float = 0.2
    preset: str = "custom"

    def __post_init__(self) -> None:
        for name in ("n_branches", "n_customers", "days"):
            if getattr(self, name) < 1:
                raise ParamsError(f"synth: '{name}' must be a positive integer, got {getattr(self, name)!r}")
        if not isinstance(self.seed, numbers.Integral) or self.seed < 0:
            raise ParamsError(f"synth: 'seed' must be a whole number >= 0, got {self.seed!r}")
        if not self.wealth_median > 0:
            raise ParamsError(f"synth: 'wealth_median' must be a positive amount, got {self.wealth_median!r}")
        if not self.wealth_tail_df > 2:
            raise ParamsError(f"synth: 'wealth_tail_df' must be above 2, got {self.wealth_tail_df!r}")
        if not 0 <= self.wealth_top_share < 0.5:
            raise ParamsError(f"synth: 'wealth_top_share' must be a share from 0 to 0.5, got {self.wealth_top_share!r}")
        if not self.wealth_top_floor > 0:
            raise ParamsError(f"synth: 'wealth_top_floor' must be a positive amount, got {self.wealth_top_floor!r}")
        if not self.wealth_pareto_alpha > 1:
            raise ParamsError(f"synth: 'wealth_pareto_alpha' must be above 1, got {self.wealth_pareto_alpha!r}")
        if not 0 <= self.branch_channel_keep <= 1:
            raise ParamsError(
                f"synth: 'branch_channel_keep' must be a probability from 0 to 1, got {self.branch_channel_keep!r}"
            )
        if not 0 <= self.near_empty_share < 1:
            raise ParamsError(f"synth: 'near_empty_share' must be a share from 0 to 1, got {self.near_empty_share!r}")
        if self.n_customers < 50 * self.n_branches:
            raise ParamsError(
                f"synth: 'n_customers' must be at least 50 per branch "
                f"({50 * self.n_branches} for {self.n_branches} branches), got {self.n_customers}"
            )

    @property
    def end(self) -> date:
        """Last day of the observed period (inclusive)."""
        from datetime import timedelta

        return self.start + timedelta(days=self.days - 1)

    def replace(self, **changes) -> BankSpec:
        """The same spec with ``changes`` applied."""
        return dataclasses.replace(self, **changes)


PRESETS: dict[str, BankSpec] = {
    # for tests: a few seconds end to end
    "tiny": BankSpec(n_branches=3, n_customers=1_500, txn_per_customer=40.0, preset="tiny"),
    # the demo bank of the README: 8 branches, about 20,000 customers, one year
    "demo": BankSpec(n_branches=8, n_customers=20_000, preset="demo"),
    # issue 5: a whole bank, about 200 branches and 1,000,000 customers; 64 transactions per
    # active customer-year (the demo's 60 gives ~50.5M rows) make at least 50M transactions
    "large": BankSpec(n_branches=200, n_customers=1_000_000, txn_per_customer=64.0, preset="large"),
}


def preset_spec(name: str, **overrides) -> BankSpec:
    """The :class:`BankSpec` of a named preset, with optional overrides."""
    if name not in PRESETS:
        raise ParamsError(f"synth: unknown preset {name!r}; valid presets: {', '.join(PRESETS)}")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    return PRESETS[name].replace(**overrides) if overrides else PRESETS[name]
