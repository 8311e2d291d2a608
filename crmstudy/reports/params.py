"""Report parameters: defaults plus per-branch overrides, checked before any work.

Errors are one line naming the file, the line when YAML is malformed, and the
parameter with what was expected, e.g.
``params/branches/B007.yaml: 'tiers.key' must be a number (CNY), got 'fifty thousand'``.
"""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ParamsError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


class PeriodParams(_Strict):
    start: Optional[date] = None
    end: Optional[date] = None


class TierParams(_Strict):
    key: float = Field(500_000, gt=0, description="CNY")
    sub_key: float = Field(200_000, gt=0, description="CNY")
    general: float = Field(50_000, gt=0, description="CNY")
    potential: float = Field(20_000, gt=0, description="CNY")
    potential_point_in_time: float = Field(50_000, gt=0, description="CNY")


class OwnershipParams(_Strict):
    president: float = Field(10_000_000, gt=0, description="CNY")
    vice_president: float = Field(1_000_000, gt=0, description="CNY")


class BandParams(_Strict):
    min: int = Field(250, ge=0, description="customers")
    max: int = Field(400, ge=1, description="customers")


class UpgradeParams(_Strict):
    window: float = Field(0.10, gt=0, lt=1, description="fraction of the bar")
    top_n: int = Field(20, ge=1, description="customers")


class LongTailParams(_Strict):
    head_share: float = Field(0.2, gt=0, lt=1, description="fraction of customers")


class BootstrapParams(_Strict):
    n_boot: int = Field(500, ge=0, description="resamples")
    seed: int = 0


class ReportParams(_Strict):
    """Every knob of a branch report."""

    language: Literal["en", "zh"] = "en"
    period: PeriodParams = PeriodParams()
    tiers: TierParams = TierParams()
    ownership: OwnershipParams = OwnershipParams()
    rm_band: BandParams = BandParams()
    upgrade: UpgradeParams = UpgradeParams()
    long_tail: LongTailParams = LongTailParams()
    bootstrap: BootstrapParams = BootstrapParams()

    def as_dict(self) -> dict:
        return json.loads(self.model_dump_json())

    def digest(self) -> str:
        """A short hash of the resolved parameters (for provenance and caching)."""
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()[:12]


_EXPECT = {"float": "a number", "int": "a whole number", "date": "a date like 2025-12-31",
           "literal": "one of", "bool": "true or false"}


def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"{path}: parameters file not found") from None
    try:
        data = yaml.safe_load(text)
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


def _check(data: dict, source: str) -> ReportParams:
    try:
        params = ReportParams.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        name = ".".join(str(x) for x in err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
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


def load_params(defaults: str | Path | None = None, *, branch: str | None = None,
                overrides_dir: str | Path | None = None, extra: dict | None = None) -> ReportParams:
    """Resolve a branch's parameters: built-in defaults < defaults file < branch file < ``extra``.

    Parameters
    ----------
    defaults : path, optional
        A YAML file such as ``params/defaults.yaml``.
    branch : str, optional
        Branch id whose override file ``<overrides_dir>/<branch>.yaml`` applies if present.
    overrides_dir : path, optional
        Defaults to ``branches/`` beside the defaults file.
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
