"""Small inputs of the report tests: a tiers table with characters to escape, a line figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

TIERS = pd.DataFrame(
    {"tier": ["Private", "Wealth", "Mass <&>"], "customers": [120, 2400, 51000], "share": [0.512, 0.361, 0.127]}
)


def line_figure(width_in: float = 4.0, height_in: float = 2.5):
    """A small matplotlib figure with one line (the caller closes it)."""
    fig, ax = plt.subplots(figsize=(width_in, height_in))
    ax.plot([0, 0.5, 1], [0, 0.2, 1])
    return fig
