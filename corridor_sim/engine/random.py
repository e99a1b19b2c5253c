"""Named random streams and batched sampling.

Every random source has its own stream, derived from ``(seed, replication, name)`` with
:class:`numpy.random.SeedSequence`: changing one part of a scenario leaves the draws of every
other part untouched (common random numbers), and nothing is ever seeded globally.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from itertools import chain, repeat

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


def _batched(draw_batch: Callable[[], np.ndarray]) -> Iterator[float]:
    """Numbers one at a time from ``draw_batch()`` batches, drawn when the last runs out.

    A chain of the batches' lists: each number is one C-level ``__next__`` (a generator's
    ``yield from`` resumes a Python frame per number); ``iter(f, None)`` calls ``f`` for the
    next batch only once the chain has used up the last.
    """
    return chain.from_iterable(iter(lambda: draw_batch().tolist(), None))


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

    Attributes
    ----------
    draw : callable
        ``draw()``: the next duration [h], the same as calling the sampler, one Python call
        fewer (the engine's hot paths use it). A batch is drawn only when the last one has
        been used, so the sequence does not depend on how the draws are made.

    Notes
    -----
    A sampler lives inside one replication's model: it holds an iterator over a closure, so
    it cannot be pickled or deep-copied (a model is built where it runs, never shipped).
    """

    __slots__ = ("draw",)

    def __init__(self, dist: Distribution, rng: np.random.Generator, batch: int = _BATCH) -> None:
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        if isinstance(dist, Constant):
            self.draw: Callable[[], float] = repeat(dist.hours).__next__
        else:
            self.draw = _batched(lambda: dist.sample(rng, batch)).__next__

    def __call__(self) -> float:
        """Next duration [h]."""
        return self.draw()


class UniformSampler:
    """Uniform numbers in [0, 1) one at a time, drawn in batches.

    Parameters
    ----------
    rng : numpy.random.Generator
        The stream to draw from.

    Attributes
    ----------
    draw : callable
        ``draw()``: the next number, the same as calling the sampler.
    """

    __slots__ = ("draw",)

    def __init__(self, rng: np.random.Generator) -> None:
        self.draw: Callable[[], float] = _batched(lambda: rng.random(_BATCH)).__next__

    def __call__(self) -> float:
        """Next uniform number."""
        return self.draw()
