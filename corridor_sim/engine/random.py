"""Named random streams and batched sampling.

Every random source has its own stream, derived from ``(seed, replication, name)`` with
:class:`numpy.random.SeedSequence`: changing one part of a scenario leaves the draws of every
other part untouched (common random numbers), and nothing is ever seeded globally.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ..scenario.distributions import Constant, Distribution

__all__ = ["Sampler", "UniformSampler", "stream"]

_BATCH = 1024


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The random generator of one named source in one replication.

    Parameters
    ----------
    seed : int
        Base seed of the experiment.
    replication : int
        Replication number (0-based).
    name : str
        What the stream drives, e.g. ``"service:khorgos_road"``.

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> float(stream(1, 0, "a").random()) == float(stream(1, 0, "a").random())
    True
    >>> float(stream(1, 0, "a").random()) == float(stream(1, 0, "b").random())
    False
    """
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, key)))


class Sampler:
    """Draws one duration at a time from a distribution, sampling in numpy batches.

    Parameters
    ----------
    dist : Distribution
        What to draw [h].
    rng : numpy.random.Generator
        The stream to draw from (owned by this sampler alone).
    batch : int, default 1024
        Draws per numpy call.
    """

    __slots__ = ("_buf", "_dist", "_i", "_n", "_rng", "_batch", "_const")

    def __init__(self, dist: Distribution, rng: np.random.Generator, batch: int = _BATCH) -> None:
        self._dist, self._rng, self._batch = dist, rng, batch
        self._const = dist.hours if isinstance(dist, Constant) else None
        self._buf: list[float] = []
        self._i = self._n = 0

    def __call__(self) -> float:
        """Next duration [h]."""
        if self._const is not None:
            return self._const
        i = self._i
        if i >= self._n:
            self._buf = self._dist.sample(self._rng, self._batch).tolist()
            self._n = len(self._buf)
            i = 0
        self._i = i + 1
        return self._buf[i]


class UniformSampler:
    """Uniform numbers in [0, 1) one at a time, drawn in batches.

    Parameters
    ----------
    rng : numpy.random.Generator
        The stream to draw from.
    """

    __slots__ = ("_buf", "_i", "_rng")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        """Next uniform number."""
        if self._i >= len(self._buf):
            self._buf = self._rng.random(_BATCH).tolist()
            self._i = 0
        self._i += 1
        return self._buf[self._i - 1]
