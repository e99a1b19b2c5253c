"""Numbers and lists in readable words, for the scorecard's text, report and plot."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["direction_word", "format_value", "lower_first", "name_list", "ordinal", "unit_label"]


def lower_first(label: str) -> str:
    """Lower-case the first letter unless the word is an acronym (``CO2e``, ``TEU``)."""
    first = label.split(" ", 1)[0]
    return label if first[1:2].isupper() else label[:1].lower() + label[1:]


def name_list(names: list[str], *, quote: bool = True) -> str:
    """Names joined as in a sentence: ``'a', 'b' and 'c'`` (quoted unless ``quote=False``).

    Examples
    --------
    >>> name_list(["a", "b", "c"])
    "'a', 'b' and 'c'"
    """
    quoted = [f"'{n}'" if quote else n for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``11th``, ….

    Examples
    --------
    >>> [ordinal(n) for n in (1, 2, 3, 11, 22)]
    ['1st', '2nd', '3rd', '11th', '22nd']
    """
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def direction_word(crit: Any, d: float) -> str:
    """``shorter``/``longer`` for a change ``d`` in hours, else ``lower``/``higher``.

    ``crit`` is anything with a ``unit`` (a :class:`corridor_sim.scorecard.Criterion`).
    """
    if crit.unit == "h":
        return "shorter" if d < 0 else "longer"
    return "lower" if d < 0 else "higher"


def unit_label(unit: str) -> str:
    """How a unit is written in a column heading (``share`` as ``%``)."""
    return {"share": "%", "USD/year": "USD a year"}.get(unit, unit)


def format_value(value: float, unit: str, *, signed: bool = False) -> str:
    """A number in readable form for its unit: ``USD 3.21 M``, ``0.47 h``, ``92.5%``.

    Parameters
    ----------
    value : float
    unit : str
        ``"USD"``, ``"USD/year"``, ``"h"``, ``"kg"``, ``"share"`` or any other unit.
    signed : bool, default False
        Always show the sign (for differences).

    Returns
    -------
    str

    Examples
    --------
    >>> format_value(3_214_000.0, "USD/year")
    'USD 3.21 M'
    >>> format_value(-0.4712, "h", signed=True)
    '−0.47 h'
    >>> format_value(0.925, "share")
    '92.5%'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = abs(float(value))
    shown = 100 * v if unit == "share" else v
    if shown < 5e-3 or (unit.startswith("USD") and v < 5e-3):
        value = v = 0.0  # no sign on what rounds to zero
    sign = "−" if value < 0 else ("+" if signed and value > 0 else "")
    if unit == "share":
        return f"{sign}{100 * v:.1f}{' pp' if signed else '%'}"
    if unit.startswith("USD"):
        if v >= 1e9:
            body = f"{v / 1e9:.2f} bn"
        elif v >= 1e6:
            body = f"{v / 1e6:.2f} M"
        elif v >= 1e4:
            body = f"{v:,.0f}"
        else:
            body = f"{v:,.2f}"
        return f"{sign}USD {body}"
    digits = 2 if v < 100 else (1 if v < 1e4 else 0)
    return f"{sign}{v:,.{digits}f} {unit}"
