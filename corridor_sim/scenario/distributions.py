"""Probability distributions of durations, as they are written in scenario files.

Every duration is in hours. Each model knows its mean (used for routing by expected time) and
draws samples in numpy batches from a :class:`numpy.random.Generator`.

Examples
--------
>>> import numpy as np
>>> from corridor_sim.scenario.distributions import parse_distribution
>>> d = parse_distribution({"dist": "lognormal", "mean_hours": 2.0, "cv": 0.5})
>>> d.mean
2.0
>>> d.sample(np.random.default_rng(1), 3).shape
(3,)
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationInfo, model_validator

__all__ = [
    "Constant",
    "Distribution",
    "Empirical",
    "Erlang",
    "Exponential",
    "Gamma",
    "Lognormal",
    "Triangular",
    "Uniform",
    "parse_distribution",
]

_Hours = Annotated[float, Field(ge=0, allow_inf_nan=False)]
_PositiveHours = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @property
    def mean(self) -> float:  # pragma: no cover - every subclass overrides it
        """Expected duration [h]."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # pragma: no cover
        """Draw ``size`` durations [h]."""
        raise NotImplementedError


class Constant(_Dist):
    """A fixed duration.

    Attributes
    ----------
    hours : float
        The duration [h], ≥ 0.
    """

    dist: Literal["constant"]
    hours: _Hours

    @property
    def mean(self) -> float:
        """Expected duration [h]."""
        return self.hours

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` durations [h] (all equal)."""
        return np.full(size, self.hours)


class Exponential(_Dist):
    """Exponential duration (memoryless; the M in M/M/c).

    Attributes
    ----------
    mean_hours : float
        Mean [h], > 0.
    """

    dist: Literal["exponential"]
    mean_hours: _PositiveHours

    @property
    def mean(self) -> float:
        """Expected duration [h]."""
        return self.mean_hours

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` durations [h]."""
        return rng.exponential(self.mean_hours, size)


class Lognormal(_Dist):
    """Lognormal duration given by its mean and coefficient of variation.

    Attributes
    ----------
    mean_hours : float
        Mean [h], > 0.
    cv : float
        Coefficient of variation (standard deviation / mean), > 0.
    """

    dist: Literal["lognormal"]
    mean_hours: _PositiveHours
    cv: Annotated[float, Field(gt=0, allow_inf_nan=False)]

    @property
    def mean(self) -> float:
        """Expected duration [h]."""
        return self.mean_hours

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` durations [h]."""
        sigma2 = np.log1p(self.cv**2)
        mu = np.log(self.mean_hours) - sigma2 / 2
        return rng.lognormal(mu, np.sqrt(sigma2), size)


class Triangular(_Dist):
    """Triangular duration.

    Attributes
    ----------
    min_hours, mode_hours, max_hours : float
        Lower limit, most likely value and upper limit [h], with min ≤ mode ≤ max and min < max.
    """

    dist: Literal["triangular"]
    min_hours: _Hours
    mode_hours: _Hours
    max_hours: _Hours

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.min_hours <= self.mode_hours <= self.max_hours) or (
            self.min_hours == self.max_hours
        ):
            raise ValueError("needs min_hours ≤ mode_hours ≤ max_hours and min_hours < max_hours")
        return self

    @property
    def mean(self) -> float:
        """Expected duration [h]."""
        return (self.min_hours + self.mode_hours + self.max_hours) / 3

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` durations [h]."""
        return rng.triangular(self.min_hours, self.mode_hours, self.max_hours, size)


class Uniform(_Dist):
    """Uniform duration between two limits.

    Attributes
    ----------
    min_hours, max_hours : float
        Limits [h], min < max.
    """

    dist: Literal["uniform"]
    min_hours: _Hours
    max_hours: _Hours

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.min_hours >= self.max_hours:
            raise ValueError("needs min_hours < max_hours")
        return self

    @property
    def mean(self) -> float:
        """Expected duration [h]."""
        return (self.min_hours + self.max_hours) / 2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` durations [h]."""
        return rng.uniform(self.min_hours, self.max_hours, size)


class Gamma(_Dist):
    """Gamma duration given by its mean and coefficient of variation.

    Attributes
    ----------
    mean_hours : float
        Mean [h], > 0.
    cv : float
        Coefficient of variation, > 0 (shape = 1/cv²).
    """

    dist: Literal["gamma"]
    mean_hours: _PositiveHours
    cv: Annotated[float, Field(gt=0, allow_inf_nan=False)]

    @property
    def mean(self) -> float:
        """Expected duration [h]."""
        return self.mean_hours

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` durations [h]."""
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean_hours / shape, size)


class Erlang(_Dist):
    """Erlang-k duration: the sum of ``k`` exponential phases.

    Attributes
    ----------
    mean_hours : float
        Mean [h], > 0.
    k : int
        Number of phases, ≥ 1 (cv = 1/√k).
    """

    dist: Literal["erlang"]
    mean_hours: _PositiveHours
    k: Annotated[int, Field(ge=1)]

    @property
    def mean(self) -> float:
        """Expected duration [h]."""
        return self.mean_hours

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` durations [h]."""
        return rng.gamma(self.k, self.mean_hours / self.k, size)


class Empirical(_Dist):
    """Resampling of observed durations, given inline or as a CSV file.

    Attributes
    ----------
    values_hours : list of float, optional
        Observed durations [h]; each is drawn with equal probability.
    csv : str, optional
        A CSV file of observations, relative to the scenario file. It is read when the scenario
        is loaded and its values are stored in ``values_hours``, so a resolved scenario is
        self-contained.
    column : str, optional
        Column of the CSV to read; default the first.
    """

    dist: Literal["empirical"]
    values_hours: list[Annotated[float, Field(ge=0, allow_inf_nan=False)]] | None = None
    csv: str | None = None
    column: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _read_csv(cls, data: object, info: ValidationInfo) -> object:
        if not isinstance(data, dict) or data.get("csv") is None:
            return data
        base = Path((info.context or {}).get("base_dir", "."))
        path = base / str(data["csv"])
        rows = _read_rows(path)
        if not rows:
            raise ValueError(f"CSV file {str(path)!r} has no data rows")
        column = data.get("column") or next(iter(rows[0]))
        if column not in rows[0]:
            raise ValueError(f"CSV file {str(path)!r} has no column {_short(column)}")
        try:
            values = [float(r[column]) for r in rows]
        except (TypeError, ValueError):
            raise ValueError(f"column {_short(column)} of {str(path)!r} must be "
                             "numbers") from None
        return {"dist": "empirical", "values_hours": values}

    @model_validator(mode="after")
    def _has_values(self) -> Empirical:
        if not self.values_hours:
            raise ValueError("needs values_hours (a non-empty list) or csv (a file)")
        return self

    @property
    def mean(self) -> float:
        """Expected duration [h]."""
        return float(np.mean(self.values_hours))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` durations [h] with replacement."""
        return rng.choice(np.asarray(self.values_hours, dtype=float), size)


_MAX_FIELD_CHARS = 1000


def _short(text: object) -> str:
    """``repr`` of a value read from a file, cut short (never echo much of a file back)."""
    shown = repr(text)
    return shown if len(shown) <= 40 else shown[:37] + "…"


def _read_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV file, read within the guard limits; every failure names the file."""
    from .guards import MAX_CSV_BYTES, InputRefused, read_bytes

    try:
        raw = read_bytes(path, MAX_CSV_BYTES)
    except InputRefused as err:
        raise ValueError(f"cannot read CSV file {str(path)!r}: {err}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ValueError(f"CSV file {str(path)!r} is not UTF-8 text (line {line}); save it "
                         "as UTF-8") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    try:
        for row in reader:
            if any(len(v or "") > _MAX_FIELD_CHARS for v in row.values() if isinstance(v, str)):
                raise ValueError(f"CSV file {str(path)!r} line {reader.line_num}: a field "
                                 f"longer than {_MAX_FIELD_CHARS} characters")
            rows.append(row)
    except csv.Error as err:
        raise ValueError(f"CSV file {str(path)!r} line {reader.line_num}: not valid CSV "
                         f"({err})") from None
    return rows


Distribution = Annotated[
    Constant | Exponential | Lognormal | Triangular | Uniform | Gamma | Erlang | Empirical,
    Field(discriminator="dist"),
]
"""Any duration distribution, chosen by its ``dist`` key."""

_ADAPTER: TypeAdapter[Distribution] = TypeAdapter(Distribution)


def parse_distribution(data: dict, base_dir: str | Path = ".") -> Distribution:
    """Validate one distribution written as a mapping.

    Parameters
    ----------
    data : dict
        The mapping, e.g. ``{"dist": "exponential", "mean_hours": 1.0}``.
    base_dir : str or Path, default "."
        Folder that relative CSV paths of an empirical distribution are read from.

    Returns
    -------
    Distribution
        The validated, immutable distribution.
    """
    return _ADAPTER.validate_python(data, context={"base_dir": str(base_dir)})
