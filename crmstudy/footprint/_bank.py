"""Reading a bank for the footprint modules: a day as a timestamp and a fast test of which ids are among many.

The definitions themselves are Ibis expressions over an :class:`~crmstudy.feature_defs.Engine`'s
tables (:func:`crmstudy.feature_defs.engine_of`).
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd


def _ts(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time())


def _is_in(ids: pd.Series, among) -> np.ndarray:
    """``ids.isin(among)`` for hundreds of thousands of ids.

    Our own because pandas 3's Arrow-backed strings convert ``among`` to Arrow one value
    at a time (3 s for 500,000 ids); Arrow's ``is_in`` over the whole array takes 0.3 s.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values = (
        pa.array(list(among), type=pa.string())
        if isinstance(among, (set, frozenset))
        else pa.array(pd.Series(among, dtype="object").to_numpy(), type=pa.string())
    )
    return pc.is_in(pa.array(ids.to_numpy(dtype=object), type=pa.string()), value_set=values).to_numpy(
        zero_copy_only=False
    )
