"""Weight-of-evidence bins and Information Value of a signal against a binary outcome.

:class:`WoEBinner` learns monotonic bins; :func:`information_value` ranks signals by IV.

Why the binning is written here rather than taken from optbinning: it needs ortools and a
solver for what is, at this size, a few lines of pool-adjacent-violators and adjacent-bin
merging; and the merging rule is the part the null-bank test depends on (see
:class:`WoEBinner`), so it should be readable in one screen.
"""

from __future__ import annotations

import functools
import math
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError, ParamsError


def _z2(n1: float, e1: float, n2: float, e2: float) -> float:
    """Chi-square statistic (1 df, no continuity correction) of the 2x2 test that two bins share a rate."""
    pooled = (e1 + e2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    return (e1 / n1 - e2 / n2) ** 2 / var if var > 0 else 0.0


@functools.lru_cache(maxsize=64)
def _critical(alpha: float) -> float:
    """The chi-square (1 df) statistic at which the merge test's p-value is ``alpha``."""
    return float(stats.chi2.isf(alpha, 1))


class WoEBinner:
    """Monotonic weight-of-evidence bins of one signal against a binary outcome.

    Parameters
    ----------
    max_bins : int
        Most bins for the non-missing values.
    min_bin_share : float
        Smallest share of all rows a bin may hold; smaller bins merge into a neighbour.
    alpha : float
        Adjacent bins whose event rates a chi-square test cannot tell apart at this level
        are merged.  This is what keeps the Information Value of a signal that carries no
        information near zero: IV is biased upwards by about (bins − 1)·(1/events +
        1/non-events), and a split that is not significant is most of that bias.
    prebins : int
        Quantile bins to start from (numeric signals).
    missing : {'separate', 'neutral'}
        ``'separate'`` (the textbook rule): missing values form their own bin when it is
        large enough and its event rate differs, else they join the bin with the closest
        rate.  ``'neutral'``: missing values carry no evidence (WoE 0) and the bins and IV
        are learned on the rows that have a value.

    Attributes
    ----------
    kind_ : {'numeric', 'categorical'}
    direction_ : int
        +1 when the event rate rises with the value, −1 when it falls (categorical: +1, the
        categories are ordered by event rate).
    cuts_ : np.ndarray
        Upper edges of the numeric bins but the last (a value ``x`` falls in the first bin
        whose edge is ``>= x``).
    categories_ : dict
        Category → bin (categorical).
    table_ : pd.DataFrame
        One row per bin: ``bin``, ``label``, ``n``, ``events``, ``event_rate``, ``woe``, ``iv``.
    woe_ : np.ndarray
        WoE of each non-missing bin, in order.
    missing_woe_ : float
        WoE given to a missing value: its own bin's, or the bin it was merged into, or 0
        when no missing value was seen or ``missing='neutral'``.
    iv_ : float
        Information Value: sum over bins of (share of events − share of non-events) × WoE.

    Notes
    -----
    WoE of a bin is ln(share of all events in the bin / share of all non-events in the bin):
    positive means the event is more likely there.  Bins with no event or no non-event are
    merged away, so no smoothing is needed and the closed form holds exactly.
    """

    def __init__(
        self,
        *,
        max_bins: int = 5,
        min_bin_share: float = 0.05,
        alpha: float = 0.05,
        prebins: int = 20,
        missing: Literal["separate", "neutral"] = "separate",
    ):
        if missing not in ("separate", "neutral"):
            raise ParamsError(f"binning: 'missing' must be 'separate' or 'neutral', got {missing!r}")
        if max_bins < 1 or prebins < 1:
            raise ParamsError(f"binning: 'max_bins' and 'prebins' must be at least 1, got {max_bins}, {prebins}")
        if not 0 <= min_bin_share < 0.5:
            raise ParamsError(f"binning: 'min_bin_share' must be in [0, 0.5), got {min_bin_share}")
        if not 0 < alpha <= 1:
            raise ParamsError(f"binning: 'alpha' must be in (0, 1], got {alpha}")
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share
        self.alpha = alpha
        self.prebins = prebins
        self.missing = missing

    # -- fit ------------------------------------------------------------------------------
    def fit(self, x: pd.Series, y) -> WoEBinner:
        """Learn the bins of ``x`` (numeric or categorical) against ``y`` (0/1)."""
        x = pd.Series(x).reset_index(drop=True)
        y = _as_binary(y, "WoEBinner.fit")
        if len(x) != len(y):
            raise DataError(f"WoEBinner.fit: x has {len(x)} rows but y has {len(y)}")
        self.kind_ = "numeric" if (pd.api.types.is_numeric_dtype(x) or pd.api.types.is_bool_dtype(x)) else "categorical"
        if y.sum() in (0, len(y)):
            raise DataError("WoEBinner.fit: the outcome has a single class; WoE needs events and non-events")
        missing = x.isna().to_numpy()
        self.n_missing_, self.missing_events_ = int(missing.sum()), int(y[missing].sum())
        self.total_ = (len(y), int(y.sum()))
        self.min_count_ = max(int(math.ceil(self.min_bin_share * len(y))), 1)
        if self.missing == "neutral":
            x, y, missing = x[~missing].reset_index(drop=True), y[~missing], np.zeros((~missing).sum(), dtype=bool)
        self.n_, self.events_ = len(y), int(y.sum())
        if self.events_ in (0, self.n_):  # no value, or values seen with one outcome only: no evidence
            self.direction_ = 1
            self._finish(
                [
                    {
                        "n": float(self.n_),
                        "e": float(self.events_),
                        "upper": np.inf,
                        "cats": sorted(set(x.dropna().astype(str))),
                    }
                ],
                0,
                0,
            )
            return self
        if self.kind_ == "numeric":
            blocks = self._numeric_blocks(x.to_numpy(dtype="float64", na_value=np.nan)[~missing], y[~missing])
        else:
            blocks = self._categorical_blocks(x[~missing].astype(str).to_numpy(), y[~missing])
        blocks = self._merge(blocks)
        self._finish(blocks, int(missing.sum()), int(y[missing].sum()))
        return self

    def _numeric_blocks(self, xv, yv) -> list[dict]:
        if len(xv) == 0:
            self.direction_ = 1
            return []
        cuts = np.unique(np.quantile(xv, np.linspace(0, 1, self.prebins + 1)[1:-1]))
        idx = np.searchsorted(cuts, xv, side="left")
        k = len(cuts) + 1
        n = np.bincount(idx, minlength=k).astype(float)
        e = np.bincount(idx, weights=yv, minlength=k)
        upper = np.append(cuts, np.inf)
        keep = n > 0
        blocks = [{"n": a, "e": b, "upper": u} for a, b, u in zip(n[keep], e[keep], upper[keep])]
        rho = stats.spearmanr(xv, yv).statistic if len(np.unique(xv)) > 1 and 0 < yv.sum() < len(yv) else 0.0
        self.direction_ = -1 if rho < 0 else 1
        return self._pav(blocks, self.direction_)

    def _categorical_blocks(self, xv, yv) -> list[dict]:
        self.direction_ = 1
        if len(xv) == 0:
            return []
        df = pd.DataFrame({"x": xv, "y": yv}).groupby("x")["y"].agg(["size", "sum"])
        df["rate"] = df["sum"] / df["size"]
        df = df.sort_values(["rate", "size"], kind="stable")
        return [{"n": float(r["size"]), "e": float(r["sum"]), "cats": [c]} for c, r in df.iterrows()]

    @staticmethod
    def _pav(blocks: list[dict], direction: int) -> list[dict]:
        """Pool adjacent violators: merge neighbours until event rates are monotonic."""
        out: list[dict] = []
        for b in blocks:
            out.append(dict(b))
            while len(out) > 1 and direction * (out[-1]["e"] / out[-1]["n"] - out[-2]["e"] / out[-2]["n"]) <= 0:
                last = out.pop()
                out[-1] = _join(out[-1], last)
        return out

    def _merge(self, blocks: list[dict]) -> list[dict]:
        """Merge small or pure bins, then bins a chi-square test cannot tell apart."""
        while len(blocks) > 1:
            bad = [i for i, b in enumerate(blocks) if b["n"] < self.min_count_ or b["e"] == 0 or b["e"] == b["n"]]
            if not bad:
                break
            i = min(bad, key=lambda j: blocks[j]["n"])
            j = self._closest_neighbour(blocks, i)
            lo, hi = min(i, j), max(i, j)
            blocks[lo : hi + 1] = [_join(blocks[lo], blocks[hi])]
        crit = _critical(self.alpha)  # p <= alpha exactly when the statistic >= crit: no p-value per step
        while len(blocks) > 1:
            z = [_z2(a["n"], a["e"], b["n"], b["e"]) for a, b in zip(blocks, blocks[1:])]
            i = min(range(len(z)), key=z.__getitem__)  # the pair least distinguishable
            if z[i] >= crit and len(blocks) <= self.max_bins:
                break
            blocks[i : i + 2] = [_join(blocks[i], blocks[i + 1])]
        return blocks

    @staticmethod
    def _closest_neighbour(blocks, i) -> int:
        rate = lambda b: b["e"] / b["n"]  # noqa: E731
        if i == 0:
            return 1
        if i == len(blocks) - 1:
            return i - 1
        left, right = abs(rate(blocks[i - 1]) - rate(blocks[i])), abs(rate(blocks[i + 1]) - rate(blocks[i]))
        return i - 1 if left <= right else i + 1

    def _place_missing(self, blocks: list[dict], n_miss: float, e_miss: float, direction: int):
        """Where missing values go: ``(blocks, bin they joined or None, whether they get their own bin)``."""
        if not n_miss:
            return blocks, None, False
        rates = [b["e"] / b["n"] for b in blocks]
        n_rest = sum(b["n"] for b in blocks)
        e_rest = sum(b["e"] for b in blocks)
        differs = (not blocks) or _z2(n_miss, e_miss, n_rest, e_rest) >= _critical(self.alpha)
        pure = e_miss in (0, n_miss)
        if blocks and (n_miss < self.min_count_ or pure or not differs):
            j = int(np.argmin([abs(r - e_miss / n_miss) for r in rates]))
            merged = [dict(b) for b in blocks]
            merged[j] = {
                **_join(merged[j], {"n": n_miss, "e": e_miss}),
                **{k: v for k, v in blocks[j].items() if k in ("upper", "cats")},
            }
            r = [b["e"] / b["n"] for b in merged]
            if all(direction * (b - a) > 0 for a, b in zip(r, r[1:])) or len(r) == 1:
                return merged, j, False
            return blocks, None, True
        return blocks, None, not pure or not blocks

    def _finish(self, blocks: list[dict], n_miss: int, e_miss: int) -> None:
        E, N = self.events_, self.n_ - self.events_
        blocks, self.missing_bin_, own_missing = self._place_missing(blocks, n_miss, e_miss, self.direction_)
        n = np.array([b["n"] for b in blocks], dtype=float)
        e = np.array([b["e"] for b in blocks], dtype=float)
        if own_missing:
            n, e = np.append(n, n_miss), np.append(e, e_miss)
        with np.errstate(divide="ignore", invalid="ignore"):
            woe = np.log((e / E) / ((n - e) / N))
        # a bin without events or non-events survives only when there is nothing to merge into
        woe = np.where(np.isfinite(woe), woe, 0.0)
        # IV over all rows: with missing='neutral' the rows without a value sit at WoE 0 and add
        # nothing, so a signal seen for few customers counts for little
        E_all, N_all = self.total_[1], self.total_[0] - self.total_[1]
        iv = (e / E_all - (n - e) / N_all) * woe
        labels = self._labels(blocks)
        if own_missing:
            labels.append("missing")
        if self.missing == "neutral" and self.n_missing_:
            n, e = np.append(n, self.n_missing_), np.append(e, self.missing_events_)
            woe, iv = np.append(woe, 0.0), np.append(iv, 0.0)
            labels.append("missing (no evidence)")
        self.woe_ = woe[: len(blocks)].copy()
        self.missing_woe_ = (
            float(woe[-1]) if own_missing else (float(woe[self.missing_bin_]) if self.missing_bin_ is not None else 0.0)
        )
        if self.missing_bin_ is not None:
            labels[self.missing_bin_] += " or missing"
        self.cuts_ = np.array([b["upper"] for b in blocks[:-1]]) if self.kind_ == "numeric" else np.array([])
        self.categories_ = (
            {c: i for i, b in enumerate(blocks) for c in b["cats"]} if self.kind_ == "categorical" else {}
        )
        rate = np.divide(e, n, out=np.full_like(e, np.nan), where=n > 0)
        self.table_ = pd.DataFrame(
            {
                "bin": range(len(n)),
                "label": labels,
                "n": n.astype(int),
                "events": e.astype(int),
                "event_rate": rate,
                "woe": woe,
                "iv": iv,
            }
        )
        self.iv_ = float(iv.sum())

    def _labels(self, blocks) -> list[str]:
        if self.kind_ == "categorical":
            return [", ".join(b["cats"]) for b in blocks]
        out, lo = [], None
        for b in blocks:
            hi = b["upper"]
            if lo is None and np.isinf(hi):
                out.append("all")
            elif lo is None:
                out.append(f"≤ {hi:.4g}")
            elif np.isinf(hi):
                out.append(f"> {lo:.4g}")
            else:
                out.append(f"({lo:.4g}, {hi:.4g}]")
            lo = hi
        return out

    # -- use ------------------------------------------------------------------------------
    @property
    def n_bins_(self) -> int:
        """Bins a value can fall in (a separate missing bin counts; a neutral one does not)."""
        return int((self.table_["label"] != "missing (no evidence)").sum())

    def bin_index(self, x) -> np.ndarray:
        """Bin of each value (−1: missing or an unseen category)."""
        x = pd.Series(x)
        if self.kind_ == "numeric":
            v = pd.to_numeric(x, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            idx = np.searchsorted(self.cuts_, v, side="left")
            return np.where(np.isnan(v), -1, idx)
        return x.map(lambda c: self.categories_.get(str(c), -1) if pd.notna(c) else -1).to_numpy(dtype=int)

    def transform(self, x) -> np.ndarray:
        """WoE of each value; missing values get :attr:`missing_woe_`, unseen categories 0."""
        x = pd.Series(x)
        idx = self.bin_index(x)
        out = np.where(idx >= 0, self.woe_[np.clip(idx, 0, max(len(self.woe_) - 1, 0))] if len(self.woe_) else 0.0, 0.0)
        return np.where(x.isna().to_numpy(), self.missing_woe_, out)

    def labels(self, x) -> np.ndarray:
        """Label of the bin of each value."""
        idx = self.bin_index(x)
        lab = self.table_["label"].to_numpy()[: len(self.woe_)]
        miss = pd.Series(x).isna().to_numpy()
        return np.where(miss, "missing", np.where(idx >= 0, lab[np.clip(idx, 0, len(lab) - 1)], "unseen"))


def _join(a: dict, b: dict) -> dict:
    out = {"n": a["n"] + b["n"], "e": a["e"] + b["e"]}
    if "upper" in a or "upper" in b:
        out["upper"] = max(a.get("upper", -np.inf), b.get("upper", -np.inf))
    if "cats" in a or "cats" in b:
        out["cats"] = a.get("cats", []) + b.get("cats", [])
    return out


def _as_binary(y, caller: str) -> np.ndarray:
    arr = pd.Series(y).to_numpy(dtype="float64", na_value=np.nan)
    if np.isnan(arr).any() or not np.isin(arr, (0.0, 1.0)).all():
        raise DataError(f"{caller}: the outcome must be 0/1 without missing values")
    return arr


def _iv_strength(iv: float) -> str:
    # Siddiqi (2006), the bank convention: < 0.02 useless, 0.02–0.1 weak, 0.1–0.3 medium, > 0.3 strong
    return "none" if iv < 0.02 else "weak" if iv < 0.1 else "medium" if iv < 0.3 else "strong"


def information_value(X: pd.DataFrame, y, **binning) -> pd.DataFrame:
    """Information Value of every column of ``X`` against ``y``, strongest first.

    Returns
    -------
    pd.DataFrame
        ``signal``, ``iv``, ``bins``, ``direction`` (+1: more events at higher values),
        ``strength`` (Siddiqi's bands: none < 0.02 ≤ weak < 0.1 ≤ medium < 0.3 ≤ strong).
    """
    return _iv_table({c: WoEBinner(**binning).fit(X[c], y) for c in X.columns})


def _iv_table(binners: dict) -> pd.DataFrame:
    rows = [
        {"signal": c, "iv": b.iv_, "bins": b.n_bins_, "direction": b.direction_, "strength": _iv_strength(b.iv_)}
        for c, b in binners.items()
    ]
    return pd.DataFrame(rows, columns=["signal", "iv", "bins", "direction", "strength"]).sort_values(
        "iv", ascending=False, ignore_index=True
    )


# --- the null: Information Value when the outcome is shuffled ----------------------------------


def null_iv(X: pd.DataFrame, y, *, n_permutations: int = 200, seed: int = 0, **binning) -> np.ndarray:
    """Information Value of every column of ``X`` against ``n_permutations`` shuffles of ``y``.

    Each shuffle keeps the number of events and breaks any link to the signals, and every
    signal is re-binned on it by the same rules as :class:`WoEBinner` (prebins, monotonic
    pooling, merge test, missing values), so the IV a noise signal reaches by binning
    alone is in the distribution.  All signals see the same shuffles, which keeps their
    dependence for a max-statistic over them.

    Parameters
    ----------
    X : pd.DataFrame
        Candidate signals.
    y : array-like of 0/1
    n_permutations : int
        Shuffles of the outcome.
    seed : int
        Seed of the shuffles: the same seed gives the same IVs.
    **binning
        :class:`WoEBinner` parameters.

    Returns
    -------
    np.ndarray
        Shape ``(n_permutations, len(X.columns))``: row ``b`` holds each signal's IV under shuffle ``b``.

    Notes
    -----
    A shuffle is drawn as the rows that hold the events (the rarer class, whichever it
    is), so the cost is events × shuffles per signal, not rows × shuffles, and the
    binning itself runs on the prebin counts only.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"noise": rng.normal(size=2_000)})
    >>> null_iv(X, rng.random(2_000) < 0.1, n_permutations=50).shape
    (50, 1)
    """
    y = _as_binary(y, "null_iv")
    if n_permutations < 1:
        raise ParamsError(f"null_iv: 'n_permutations' must be at least 1, got {n_permutations}")
    n, events = len(y), int(y.sum())
    rng = np.random.default_rng(seed)
    flip = events > n - events  # draw the rarer class: the complement is the other
    k = n - events if flip else events
    rows = np.stack([rng.choice(n, size=k, replace=False) for _ in range(n_permutations)]).astype(np.int32)
    binner = WoEBinner(**binning)
    binner.min_count_ = max(int(math.ceil(binner.min_bin_share * n)), 1)
    out = np.zeros((n_permutations, X.shape[1]))
    for j, c in enumerate(X.columns):
        out[:, j] = _shuffled_ivs(binner, pd.Series(X[c]).reset_index(drop=True), rows, flip, events)
    return out


def _shuffled_ivs(self: WoEBinner, x: pd.Series, rows: np.ndarray, flip: bool, events: int) -> np.ndarray:
    """IV of one signal under each shuffle; ``rows[b]`` holds shuffle ``b``'s events (non-events when ``flip``)."""
    n = len(x)
    numeric = pd.api.types.is_numeric_dtype(x) or pd.api.types.is_bool_dtype(x)
    missing = x.isna().to_numpy()
    if numeric:
        xv = x.to_numpy(dtype="float64", na_value=np.nan)[~missing]
        cuts = np.unique(np.quantile(xv, np.linspace(0, 1, self.prebins + 1)[1:-1])) if len(xv) else np.array([])
        code_nm, k = np.searchsorted(cuts, xv, side="left"), len(cuts) + 1
        centred = np.zeros(n)
        if len(xv):
            r = stats.rankdata(xv)
            centred[~missing] = r - r.mean()
        ranked = len(np.unique(xv)) > 1
    else:
        cats, code_nm = np.unique(x[~missing].astype(str).to_numpy(), return_inverse=True)
        k = len(cats)
    code = np.full(n, k)
    code[~missing] = code_nm
    sizes = np.bincount(code, minlength=k + 1).astype(float)
    B = len(rows)
    drawn = code[rows] + (k + 1) * np.arange(B)[:, None]
    cnt = np.bincount(drawn.ravel(), minlength=B * (k + 1)).reshape(B, k + 1).astype(float)
    if flip:
        cnt = sizes - cnt
    if numeric:
        push = centred[rows].sum(axis=1) * (-1.0 if flip else 1.0)  # the sign of Spearman's rho
    n_miss, E_all, N_all = sizes[k], float(events), float(n - events)
    neutral = self.missing == "neutral"
    n_ = n - n_miss if neutral else n
    size_list = sizes[:k].tolist()
    out = np.zeros(B)
    for b in range(B):
        e_list = cnt[b, :k].tolist()
        e_miss = cnt[b, k]
        e_nm = events - e_miss
        ev = e_nm if neutral else events
        if ev in (0, n_):
            continue
        if numeric:
            direction = -1 if (ranked and 0 < e_nm < n - n_miss and push[b] < 0) else 1
            blocks = self._pav([{"n": a, "e": e} for a, e in zip(size_list, e_list) if a > 0], direction)
        else:
            direction = 1
            blocks = [{"n": a, "e": e} for a, e in zip(size_list, e_list)]
            blocks.sort(key=lambda d: (d["e"] / d["n"], d["n"]))  # by event rate, as fit orders categories
        blocks = self._merge(blocks)
        own = False
        if not neutral:
            blocks, _, own = self._place_missing(blocks, n_miss, e_miss, direction)
        bins = [(d["n"], d["e"]) for d in blocks] + ([(n_miss, e_miss)] if own else [])
        E, N = ev, n_ - ev
        iv = 0.0
        for nb, eb in bins:
            if 0 < eb < nb:
                iv += (eb / E_all - (nb - eb) / N_all) * math.log((eb / E) / ((nb - eb) / N))
        out[b] = iv
    return out
