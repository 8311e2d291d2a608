"""Parameters: the one place every default lives, checked before any work.

:class:`ReportParams` is the model of every knob of an analysis or a report
section, with its default, unit and source; ``params/defaults.yaml`` is
generated from it (:func:`defaults_yaml`, checked by a test), and
``params/branches/<branch_id>.yaml`` overrides single keys for one branch.
Notebooks and scripts read the same parameters with :func:`load`::

    import crmstudy as crm
    p = crm.params.load("params/defaults.yaml", branch="B007")
    tiers = crm.tiers.assign_tiers(features, crm.tiers.TierThresholds.from_params(p.tiers))

Errors are one line naming the file, the line when YAML is malformed, and the
parameter with what was expected, e.g.
``params/branches/B007.yaml: 'tiers.key' (CNY): input should be a valid number, got 'fifty thousand'``.
"""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ParamsError

__all__ = ["ReportParams", "defaults_yaml", "load", "load_params"]


def _knob(default, *, unit: str | None = None, note: str | None = None, **limits):
    """A parameter: its default, unit (in error messages) and note (the comment in defaults.yaml)."""
    return Field(default, description=unit, json_schema_extra={"note": note} if note else None, **limits)


class _Strict(BaseModel):
    # numbers are finite (``.inf`` is no tier bar); a whole number is not ``true``
    model_config = ConfigDict(extra="forbid", strict=False, frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, value, info):
        field = cls.model_fields.get(info.field_name)
        if isinstance(value, bool) and field is not None and field.annotation in (int, float):
            raise ValueError("expected a number, not true or false")
        return value


class PeriodParams(_Strict):
    """Empty: the bank's own period (bank.json, else the span of its balances)."""

    start: date | None = None
    end: date | None = None


class TierParams(_Strict):
    """Average daily assets, CNY (source 001)."""

    key: float = _knob(500_000, unit="CNY", gt=0, note="the article prints 200k twice; 500k is the evident intent")
    sub_key: float = _knob(200_000, unit="CNY", gt=0)
    general: float = _knob(50_000, unit="CNY", gt=0)
    potential: float = _knob(20_000, unit="CNY", gt=0)
    potential_point_in_time: float = _knob(50_000, unit="CNY", gt=0, note='"or >= 50k at a point in time"')


class OwnershipParams(_Strict):
    """Who must own a customer, by average daily assets, CNY (source 001)."""

    president: float = _knob(10_000_000, unit="CNY", gt=0)
    vice_president: float = _knob(1_000_000, unit="CNY", gt=0)


class BandParams(_Strict):
    """Customers per customer manager (source 000)."""

    min: int = _knob(250, unit="customers", ge=0)
    max: int = _knob(400, unit="customers", ge=1)


class UpgradeParams(_Strict):
    """Customers just below the next tier's bar: the cheapest upgrades."""

    window: float = _knob(0.10, unit="fraction of the bar", gt=0, lt=1, note="within 10 % below the next tier's bar")
    top_n: int = _knob(20, unit="customers", ge=1)


class LongTailParams(_Strict):
    """The head and the tail of the branch's customers by assets."""

    head_share: float = _knob(0.2, unit="fraction of customers", gt=0, lt=1, note='the "20" of 80/20')


class BootstrapParams(_Strict):
    """Intervals of the concentration figures."""

    n_boot: int = _knob(500, unit="resamples", ge=0, le=100_000, note="0: no interval")
    seed: int = _knob(0, ge=0)


class ConcentrationParams(_Strict):
    """The branch against the rest of the bank (source 001's 80/20)."""

    alpha: float = _knob(
        0.01,
        unit="significance level",
        gt=0,
        lt=1,
        note="permutation test of the branch's Gini against the rest; 1 %: every branch is tested",
    )
    pareto_top20: float = _knob(
        0.6, unit="share of assets", gt=0, lt=1, note="below this share held by the top 20 %, no 80/20 advice"
    )


class ProspectsParams(_Strict):
    """Footprint value prospects and risk flags (source 002)."""

    top_n: int = _knob(10, unit="customers", ge=1, note="per list")
    flag_ratio: float = _knob(
        2.0,
        unit="times the bank's delinquency rate",
        gt=0,
        note="a borrower is flagged at this multiple of the bank's rate or more",
    )
    min_events: int = _knob(10, unit="events", ge=1, note="fewest events in a scorecard's training window")


class AssociationParams(_Strict):
    """Customer groups × products and the cross-sell list (sources 000, 003)."""

    by: Literal["life_group", "acquisition_group", "gender", "income_band", "occupation"] = _knob(
        "life_group", note="grouping shown in the heatmap: a column of customers"
    )
    alpha: float = _knob(0.05, unit="false discovery rate", gt=0, lt=1)
    correction: Literal["bh", "holm"] = _knob("bh", note="bh: Benjamini-Hochberg; holm: family-wise")
    adjust_for: list[Literal["ada", "age"]] = _knob(
        ["ada", "age"], note="cells compared with customers of like wealth and age (CMH); [] for unadjusted"
    )
    top_n: int = _knob(20, unit="customers", ge=1, note="in the cross-sell list")
    seed: int = _knob(0, note="the propensity models' sample and the hold-out's bootstrap")
    horizon_months: int = _knob(
        4, unit="months", ge=1, le=6, note="take-up horizon: the chance of opening a product within this many months"
    )
    fit_customers: int = _knob(
        60_000, unit="customers", ge=1_000, note="the propensity models learn from at most this many (a seeded sample)"
    )
    not_offered: dict[Literal["key", "sub_key", "general", "potential", "mass"], list[str]] = _knob(
        {
            "key": ["MOBILE_BANKING", "ONLINE_BANKING", "UTILITY_PAY", "PAYROLL", "POS_MERCHANT"],
            "sub_key": ["UTILITY_PAY", "POS_MERCHANT"],
        },
        note="eligibility by tier: product ids never offered to that tier (self-service products are not an RM's call)",
    )


class EventParams(_Strict):
    """Customer events detected each day, each to be acted on within 24 or 48 hours (source 004)."""

    large_min: float = _knob(10_000, unit="CNY", gt=0, note="large inflow/outflow: a day's flow of at least this")
    large_share: float = _knob(
        0.3, unit="fraction of assets", gt=0, note="... and at least this share of the assets the day before"
    )
    drop_share: float = _knob(0.3, unit="fraction", gt=0, lt=1, note="balance drop: assets fell by this share ...")
    drop_days: int = _knob(30, unit="days", ge=1, le=365, note="... against the assets this many days before")
    drop_min: float = _knob(20_000, unit="CNY", gt=0, note="... from at least this much")
    salary_gap: int = _knob(40, unit="days", ge=1, le=365, note="salary stop: no payroll credit for this long ...")
    salary_history: int = _knob(3, unit="credits", ge=1, note="... after at least this many in the 100 days before")
    maturity_days: int = _knob(14, unit="days", ge=0, le=365, note="maturity: a product matures within this many days")
    owner_left_min: float = _knob(
        50_000, unit="CNY", ge=0, note="owner left: customers of the departed owner with at least these assets"
    )
    surge_ratio: float = _knob(
        3.0, unit="times", gt=1, note="third-party surge: a week's transfers to payment apps at this multiple ..."
    )
    surge_baseline: int = _knob(90, unit="days", ge=7, le=365, note="... of the customer's weekly rate over these days")
    surge_min: float = _knob(5_000, unit="CNY", gt=0, note="... and at least this much in the week")
    dormant_days: int = _knob(180, unit="days", ge=1, le=730, note="dormancy onset: this many days without activity")
    tier_window: int = _knob(90, unit="days", ge=1, le=365, note="tier crossing: tier of the trailing average assets")
    tier_min: Literal["key", "sub_key", "general", "potential"] = _knob(
        "general", note="... crossings to or from this tier or above (mass <-> potential is no event)"
    )
    churn_risk: bool = _knob(
        False, note="churn-risk jumps, from crmstudy.lifecycle.churn, only if its out-of-time AUC beats the baseline's"
    )
    churn_jump: float = _knob(
        0.10, unit="probability", gt=0, lt=1, note="churn-risk jump: the score rose this much ..."
    )
    churn_min: float = _knob(0.20, unit="probability", gt=0, lt=1, note="... in a week, to at least this")
    top_n: int = _knob(20, unit="events", ge=1, note="listed in a report's This week, per list")


class ContactPolicyParams(_Strict):
    """Who calls whom about which event, and how often a customer may be called (source 004, source 000)."""

    max_per_week: int = _knob(1, unit="contacts", ge=1, note="per customer in any 7 days")
    max_per_month: int = _knob(4, unit="contacts", ge=1, note="per customer in a calendar month")
    cooloff_days: int = _knob(14, unit="days", ge=0, note="no contact for this long after the customer declined")
    capacity: int = _knob(8, unit="contacts a day", ge=0, note="event contacts each owner can make in a day")
    queue_capacity: int = _knob(
        10, unit="contacts a day", ge=0, note="the branch queue (lobby manager) for customers whose owner left"
    )
    default_channel: Literal["phone", "visit", "wechat", "event"] = _knob(
        "phone", note="when the contact history shows no preference"
    )
    opt_out: list[str] = _knob([], note="customer ids who asked not to be contacted (besides an opt_outs table)")


class ProfitParams(_Strict):
    """What the branch earns, and its channels (source 004)."""

    counter_shift: float = _knob(
        0.3, unit="share of counter transactions", ge=0, le=1, note="the what-if: moved to the mobile app"
    )
    top_n: int = _knob(10, unit="customers", ge=1, note="customers who lose the most, listed")
    alpha: float = _knob(0.05, unit="significance level", gt=0, lt=1, note="campaign intervals; FDR of channel cells")


class RetentionParams(_Strict):
    """Churn early warning, timely contact, dormancy and tier migration (sources 000, 001, 003, 004)."""

    risk_threshold: float = _knob(
        0.10, unit="probability", gt=0, lt=1, note="a customer at this 90-day churn probability or more is at risk"
    )
    top_n: int = _knob(10, unit="customers", ge=1, note="at-risk customers listed")
    deadline_days: int = _knob(
        2, unit="days", ge=0, le=30, note="a contact this soon after a drain is in time (24-48 h)"
    )
    min_drop: float = _knob(0.35, unit="fraction", gt=0, lt=1, note="drain: total balance falls by this share at once")
    horizon_days: int = _knob(90, unit="days", ge=30, le=180, note="departures counted after a drain")
    n_boot: int = _knob(200, unit="resamples", ge=0, le=10_000, note="customer bootstrap of the warning's metrics")
    slope_band: tuple[float, float] = _knob(
        (0.8, 1.2), note="calibration slope out of time within this band, or the warning is not used"
    )


class ReportParams(_Strict):
    """Every knob of a branch report."""

    language: Literal["en", "zh"] = _knob("en", note="en | zh")
    time_zone: str = _knob(
        "Asia/Shanghai", note="IANA time zone of the report's readers: times in reports and on the index"
    )
    period: PeriodParams = PeriodParams()
    tiers: TierParams = TierParams()
    ownership: OwnershipParams = OwnershipParams()
    rm_band: BandParams = BandParams()
    upgrade: UpgradeParams = UpgradeParams()
    long_tail: LongTailParams = LongTailParams()
    bootstrap: BootstrapParams = BootstrapParams()
    concentration: ConcentrationParams = ConcentrationParams()
    prospects: ProspectsParams = ProspectsParams()
    association: AssociationParams = AssociationParams()
    profit: ProfitParams = ProfitParams()
    events: EventParams = EventParams()
    contact_policy: ContactPolicyParams = ContactPolicyParams()
    retention: RetentionParams = RetentionParams()

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"an IANA time zone such as 'Asia/Shanghai' or 'UTC', got {value!r}") from None
        return value

    def as_dict(self) -> dict:
        """The resolved parameters as plain JSON-ready values."""
        return json.loads(self.model_dump_json())

    def digest(self) -> str:
        """A short hash of the resolved parameters (for provenance and caching)."""
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()[:12]


# --- defaults.yaml, written from the model ------------------------------------------------------------


def _note(field) -> str | None:
    extra = field.json_schema_extra or {}
    return extra.get("note") if isinstance(extra, dict) else None


def _yaml_value(value) -> str:
    return "null" if value is None else yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("\n...")


def _comment(*parts: str | None) -> str:
    text = "; ".join(p for p in parts if p)
    return f"  # {text}" if text else ""


def defaults_yaml() -> str:
    """The text of ``params/defaults.yaml``: every parameter at its default, with its unit and note.

    Examples
    --------
    >>> print(defaults_yaml().splitlines()[3])
    language: en  # en | zh
    """
    lines = [
        "# Report parameters for every branch, written from crmstudy.params.ReportParams",
        "# (`python -m crmstudy params > params/defaults.yaml`). Per-branch overrides live in",
        "# params/branches/<branch_id>.yaml and change only the keys they name.",
    ]
    for name, field in ReportParams.model_fields.items():
        model = field.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            lines.append(f"{name}:{_comment((model.__doc__ or '').strip().rstrip('.'))}")
            for sub, f in model.model_fields.items():
                lines.append(f"  {sub}: {_yaml_value(f.default)}{_comment(f.description, _note(f))}")
        else:
            lines.append(f"{name}: {_yaml_value(field.default)}{_comment(_note(field))}")
    return "\n".join(lines) + "\n"


# --- reading and checking -------------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (the second would win silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"parameter {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"{path}: parameters file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ParamsError(f"{path}: cannot read the parameters file: {e}") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ParamsError(f"{path}:{where}: malformed YAML: {problem}") from None
    except ValueError as e:  # e.g. a date like 2025-13-01
        raise ParamsError(f"{path}: malformed value: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParamsError(f"{path}: expected a mapping of parameter names to values, got {type(data).__name__}")
    return data


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _field(loc):
    model = ReportParams
    field = None
    for part in loc:
        fields = getattr(model, "model_fields", {})
        if str(part) not in fields:
            return field
        field = fields[str(part)]
        model = field.annotation
    return field


def _check(data: dict, source: str) -> ReportParams:
    try:
        params = ReportParams.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        name = ".".join(str(x) for x in err["loc"])
        if err["type"] == "extra_forbidden":
            parent = ReportParams
            for part in err["loc"][:-1]:
                parent = parent.model_fields[str(part)].annotation
            valid = ", ".join(parent.model_fields)
            raise ParamsError(f"{source}: unknown parameter '{name}'; valid here: {valid}") from None
        field = _field(err["loc"])
        unit = f" ({field.description})" if field is not None and field.description else ""
        msg = err["msg"][0].lower() + err["msg"][1:]
        raise ParamsError(f"{source}: '{name}'{unit}: {msg}, got {err.get('input')!r}") from None
    if not (params.tiers.key > params.tiers.sub_key > params.tiers.general > params.tiers.potential):
        raise ParamsError(f"{source}: 'tiers' must decrease: key > sub_key > general > potential")
    if params.rm_band.min > params.rm_band.max:
        raise ParamsError(f"{source}: 'rm_band.min' must not exceed 'rm_band.max'")
    return params


def load(
    defaults: str | Path | None = None,
    *,
    branch: str | None = None,
    overrides_dir: str | Path | None = None,
    extra: dict | None = None,
) -> ReportParams:
    """Resolve a branch's parameters: the model's defaults < defaults file < branch file < ``extra``.

    Parameters
    ----------
    defaults : path, optional
        A YAML file such as ``params/defaults.yaml``; without one, the model's defaults.
    branch : str, optional
        Branch id whose override file ``<overrides_dir>/<branch>.yaml`` applies if present.
    overrides_dir : path, optional
        Defaults to ``branches/`` beside the defaults file.
    extra : dict, optional
        Last overrides, e.g. ``{"language": "zh"}``.

    Returns
    -------
    ReportParams
        Frozen, validated; ``.as_dict()`` and ``.digest()`` for provenance.

    Raises
    ------
    ParamsError
        One line naming the file, line or parameter and what was expected.

    Examples
    --------
    >>> load(extra={"upgrade": {"top_n": 5}}).upgrade.top_n
    5
    >>> load().tiers.key
    500000
    """
    data: dict = {}
    source = "parameters"
    if defaults is not None:
        defaults = Path(defaults)
        data = _read_yaml(defaults)
        source = str(defaults)
        _check(data, source)
        if overrides_dir is None:
            overrides_dir = defaults.parent / "branches"
    if branch and overrides_dir is not None:
        over = Path(overrides_dir) / f"{branch}.yaml"
        if over.exists():
            o = _read_yaml(over)
            _check(_merge(data, o), str(over))
            data = _merge(data, o)
            source = str(over)
    if extra:
        data = _merge(data, extra)
    return _check(data, source)


#: The name the report runner has always used.
load_params = load
