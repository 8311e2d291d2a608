"""String columns built from small vocabularies, without a Python object per row.

A column such as ``channel`` or a transaction's ``customer_id`` takes a handful
(or a block's worth) of distinct values over millions of rows.  The generator
keeps integer codes and turns them into an Arrow-backed pandas string column
in one ``take``: readers, the schema check and the Parquet writer all see
ordinary strings, and Parquet still stores them dictionary-encoded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.arrays import ArrowStringArray

_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default ``str`` dtype


def labels(names, codes: np.ndarray) -> ArrowStringArray:
    """``names[codes]`` as a pandas ``str`` array (``names`` is a sequence or an Arrow array)."""
    vocab = names if isinstance(names, pa.Array) else pa.array(list(names), pa.large_string())
    return ArrowStringArray(vocab.take(pa.array(np.asarray(codes))), dtype=_STR)


def strings(values) -> ArrowStringArray:
    """A pandas ``str`` array from a sequence of Python strings."""
    return ArrowStringArray(pa.array(values, pa.large_string()), dtype=_STR)
