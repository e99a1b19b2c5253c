"""The scorecard of a comparison as a picture: the primary criterion's paired differences."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._base import PALETTE, axes, plain

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..comparison import Comparison
    from ..scorecard import Scorecard

__all__ = ["scorecard"]


def scorecard(subject: Comparison | Scorecard, *, ax: Axes | None = None,
              **options: Any) -> Axes:
    """Draw the scorecard: each scenario's difference from the baseline in the primary criterion.

    One horizontal bar per scenario (the baseline is the zero line) with its paired confidence
    interval, in the criterion's own unit (USD a year by default, in thousands or millions
    when large). Bars of scenarios that share the best rank are drawn in the first colour,
    the others in grey; each bar is labelled with its rank, and up to two significant
    changes in the other criteria are written under it.

    Parameters
    ----------
    subject : Comparison or Scorecard
        A comparison (its scorecard is built with ``options``) or a scorecard.
    ax : matplotlib.axes.Axes, optional
    **options
        Passed to :meth:`Comparison.scorecard` when ``subject`` is a comparison.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from ..scorecard import Scorecard, format_value

    card = subject if isinstance(subject, Scorecard) else subject.scorecard(**options)
    prim = card.primary
    t = card.table
    names = [n for n in t.index if n != card.baseline]
    scale, unit = 1.0, prim.unit
    diffs = t.loc[names, (prim.label, "diff")].to_numpy(float)
    biggest = np.nanmax(np.abs(np.concatenate([diffs, [0.0]])))
    if prim.unit.startswith("USD") and biggest >= 1e6:
        scale, unit = 1e6, prim.unit.replace("USD", "million USD")
    elif prim.unit.startswith("USD") and biggest >= 1e4:
        scale, unit = 1e3, prim.unit.replace("USD", "thousand USD")
    ax = axes(ax, figsize=(9, 1.4 + 0.9 * max(len(names), 1)))
    y = np.arange(len(names))[::-1]
    lo = t.loc[names, (prim.label, "diff_ci_low")].to_numpy(float)
    hi = t.loc[names, (prim.label, "diff_ci_high")].to_numpy(float)
    colours = [PALETTE[0] if t.loc[n, ("rank", "")] == 1 else "#999999" for n in names]
    ax.barh(y, diffs / scale, color=colours, height=0.5)
    err = np.vstack([diffs - lo, hi - diffs]) / scale
    ax.errorbar(diffs / scale, y, xerr=np.nan_to_num(err), fmt="none", ecolor="#222222",
                capsize=4)
    ax.axvline(0.0, color="#222222", linewidth=0.8)
    labels = []
    for n in names:
        rank = int(t.loc[n, ("rank", "")])
        tied = " (tied)" if (t[("rank", "")] == rank).sum() > 1 else ""
        labels.append(plain(f"{n}\nrank {rank}{tied}"))
    ax.set_yticks(y, labels)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:,.3g}" if abs(v) < 1e3 else f"{v:,.0f}")
    for yi, n in zip(y, names, strict=True):
        others = [f"{c.label}: {format_value(t.loc[n, (c.label, 'diff')], c.unit, signed=True)}"
                  for c in card.criteria[1:] if t.loc[n, (c.label, "better")] is not None]
        if others:
            ax.annotate(plain("; ".join(others[:2])), (0.01, yi - 0.38),
                        xycoords=("axes fraction", "data"), ha="left", va="center",
                        fontsize=7, color="#444444")
    better = "lower is better" if prim.lower_is_better else "higher is better"
    ax.set_xlabel(plain(f"difference from {card.baseline} [{unit}]; {better}; "
                        f"{int(card.confidence * 100)}% paired CI"))
    ax.set_title(plain(f"Scorecard, ranked on {prim.label.lower()}"))
    ax.set_ylim(-0.7, len(names) - 0.3)
    return ax
