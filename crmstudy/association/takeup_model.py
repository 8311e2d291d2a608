"""The per-product take-up model: one L2 logistic regression per product, with the baselines' rates.

Fitted by :mod:`crmstudy.association.propensity` on a window's :class:`~crmstudy.association.propensity.TakeUpData`
and judged there on the next window.  scikit-learn does the regressions and the cross-validation; the median
imputer is ours only to keep the input's memory layout (see :class:`MedianImputer`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import DataError

if TYPE_CHECKING:
    from .propensity import TakeUpData

__all__ = ["MedianImputer", "PropensityModel"]

#: Fewest openings of a product in the training window for it to get its own model (else its group rate).
MIN_EVENTS = 10
#: Pseudo-customers shrinking a group's take-up rate towards the bank's.
PRIOR = 20.0
#: Inverse L2 strengths tried for each product's model, chosen by 3-fold cross-validated log loss on the
#: training window (never on the hold-out).
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)


def _cv_options(cls) -> dict:
    """scikit-learn 1.9 asks to be told the CV fit is L2 only and which attributes to keep; older ones need neither."""
    import inspect

    if "use_legacy_attributes" in inspect.signature(cls).parameters:
        return {"l1_ratios": (0.0,), "use_legacy_attributes": False}
    return {}


class MedianImputer:
    """Missing covariates (NaN) set to their training median; a column never observed is dropped.

    What ``sklearn.impute.SimpleImputer(strategy="median")`` does, with :func:`numpy.nanmedian`
    instead of a masked-array median of the whole matrix (0.10 s per fit on the demo bank's 20,000
    customers and 54 covariates, 30 fits per report run); the same statistics and the same
    imputed matrix, to the bit (``tests/association/test_propensity.py``).

    Attributes
    ----------
    statistics_ : np.ndarray
        Each column's median over its observed values (NaN where none was observed).
    """

    def fit(self, x, y=None) -> MedianImputer:
        """Learn each column's median over its non-missing values."""
        import warnings

        x = np.asarray(x, dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column: its median is NaN
            self.statistics_ = np.nanmedian(x, axis=0) if len(x) else np.full(x.shape[1], np.nan)
        return self

    def transform(self, x) -> np.ndarray:
        """The columns observed in training, their missing values set to the training median."""
        # a copy in the input's memory layout, as scikit-learn's: the scaler and the regression then
        # add up in the same order (a data frame's values are column-major; C order changes the last bit)
        out = np.array(x, dtype=float)
        keep = ~np.isnan(self.statistics_)
        if not keep.all():
            out = out[:, np.flatnonzero(keep)]
        rows, cols = np.nonzero(np.isnan(out))
        out[rows, cols] = self.statistics_[keep][cols]
        return out

    def fit_transform(self, x, y=None) -> np.ndarray:
        """:meth:`fit`, then :meth:`transform` of the same rows."""
        return self.fit(x).transform(x)


class PropensityModel:
    """One logistic regression per product: the chance of opening it within the window, if not held.

    Products with fewer than :data:`MIN_EVENTS` openings take their group's rate (the baseline).
    ``c`` is the inverse L2 strength on standardised covariates; None (the default) picks it per
    product from :data:`C_GRID` by 3-fold cross-validated log loss on the training window.
    Fitted attributes: ``products_``, ``columns_``, ``models_`` (product -> pipeline or None),
    ``popularity_`` (bank rate per product), ``group_rates_`` (group -> product rates).
    """

    def __init__(self, *, group: str = "life_group", c: float | None = None, min_events: int = MIN_EVENTS):
        self.group, self.c, self.min_events = group, c, min_events

    def fit(self, data: TakeUpData) -> PropensityModel:
        """Fit every product's model on customers who did not hold it at the cut."""
        from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
        from sklearn.model_selection import StratifiedKFold
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        if data.opened is None:
            raise DataError("PropensityModel.fit: the data has no window (openings) to learn from")
        self.columns_ = list(data.covariates.columns)
        eligible = data.held == 0
        self.products_ = [p for p in data.held.columns if eligible[p].any()]
        x = data.covariates.to_numpy(dtype=float)
        self.popularity_ = pd.Series(
            {p: data.opened.loc[eligible[p], p].mean() for p in self.products_}, dtype=float
        ).fillna(0.0)
        self.group_rates_ = self._group_rates(data, eligible)
        self.models_ = {}
        for p in self.products_:
            y = data.opened[p].to_numpy()[eligible[p].to_numpy()]
            if y.sum() < self.min_events or y.sum() == y.size:
                self.models_[p] = None
                continue
            if self.c is None:
                folds = StratifiedKFold(3, shuffle=True, random_state=0)
                fit = LogisticRegressionCV(
                    Cs=list(C_GRID),
                    cv=folds,
                    scoring="neg_log_loss",
                    solver="newton-cholesky",
                    max_iter=200,
                    **_cv_options(LogisticRegressionCV),
                )
            else:
                fit = LogisticRegression(C=self.c, solver="newton-cholesky", max_iter=200)
            self.models_[p] = make_pipeline(MedianImputer(), StandardScaler(), fit).fit(x[eligible[p].to_numpy()], y)
        return self

    def _key(self, data: TakeUpData) -> pd.Series | None:
        """The baseline's group of each customer: ``group`` within tenure band (either alone when one is missing)."""
        parts = [data.groups[c].astype(str) for c in (self.group, "tenure_band") if c in data.groups]
        if not parts:
            return None
        key = parts[0]
        for extra in parts[1:]:
            key = key + "|" + extra
        return key

    def _group_rates(self, data: TakeUpData, eligible: pd.DataFrame) -> pd.DataFrame:
        g = self._key(data)
        if g is None:
            return pd.DataFrame(columns=self.products_, dtype=float)
        rows = {}
        for level in sorted(g.unique()):
            mask = (g == level).to_numpy()
            e = eligible.to_numpy()[mask][:, [data.held.columns.get_loc(p) for p in self.products_]]
            o = data.opened[self.products_].to_numpy()[mask]
            hits, n = (o * e).sum(axis=0), e.sum(axis=0)
            rows[level] = (hits + PRIOR * self.popularity_.to_numpy()) / (n + PRIOR)
        return pd.DataFrame(rows, index=self.products_).T

    def _matrix(self, data: TakeUpData) -> np.ndarray:
        return data.covariates.reindex(columns=self.columns_, fill_value=0.0).to_numpy(dtype=float)

    def group_scores(self, data: TakeUpData) -> pd.DataFrame:
        """Popularity within group: the take-up rate of the customer's group and tenure band (bank rate if unseen)."""
        base = np.broadcast_to(self.popularity_.to_numpy(), (len(data.held), len(self.products_)))
        out = pd.DataFrame(base.copy(), index=data.held.index, columns=self.products_)
        key = self._key(data)
        if key is not None and not self.group_rates_.empty:
            rates = self.group_rates_.reindex(key.to_numpy())
            known = rates.notna().all(axis=1).to_numpy()
            out.loc[known] = rates.to_numpy()[known]
        return self._mask_held(out, data)

    def popularity_scores(self, data: TakeUpData) -> pd.DataFrame:
        """Plain popularity: the bank's take-up rate of each product, the same for everyone."""
        base = np.broadcast_to(self.popularity_.to_numpy(), (len(data.held), len(self.products_)))
        return self._mask_held(pd.DataFrame(base.copy(), index=data.held.index, columns=self.products_), data)

    def scores(self, data: TakeUpData) -> pd.DataFrame:
        """The chance of opening each product within the horizon (NaN where held at the cut)."""
        out = self.group_scores(data)
        x = self._matrix(data)
        for p, model in self.models_.items():
            if model is not None:
                out[p] = model.predict_proba(x)[:, 1]
        return self._mask_held(out, data)

    def _mask_held(self, scores: pd.DataFrame, data: TakeUpData) -> pd.DataFrame:
        held = data.held.reindex(columns=self.products_, fill_value=0).to_numpy() > 0
        return scores.mask(held)
