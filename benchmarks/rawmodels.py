"""Reference models of the same queues, written without corridor_sim.

Each model is a tandem of ``stations`` M/M/c queues (one station: plain M/M/c) fed by a Poisson
process, FIFO, run to ``horizon_hours``. Each returns the waits in queue [h] at every station,
in order of arrival at that station, of customers that arrived after ``warmup_hours`` and began
service before the horizon, plus the number of events it scheduled — so the benchmarks can check
that corridor_sim, raw SimPy and a bare heapq loop did the same work and got the same answer.

- :func:`simpy_tandem`: idiomatic raw SimPy — a process per customer, a ``simpy.Resource`` per
  station, one numpy draw per interarrival and service time, waits appended to lists.
- :func:`heapq_tandem`: the floor — a minimal event loop on :mod:`heapq`, counters for free
  servers, ``deque`` queues, random numbers drawn up front in numpy batches.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import simpy

__all__ = ["QueueRun", "batch_means", "erlang_c_wait", "heapq_tandem", "simpy_tandem"]


@dataclass
class QueueRun:
    """Waits [h] per station (arrival order) and the number of events scheduled."""

    waits: list[np.ndarray]
    events: int
    customers: int


def erlang_c_wait(arrivals_per_hour: float, service_hours: float, servers: int) -> float:
    """Mean wait in queue of an M/M/c queue [h] (Erlang C)."""
    a = arrivals_per_hour * service_hours
    rho = a / servers
    if rho >= 1:
        return math.inf
    term, total = 1.0, 1.0
    for k in range(1, servers):
        term *= a / k
        total += term
    last = term * a / servers / (1 - rho)
    return last / (total + last) * service_hours / (servers * (1 - rho))


def batch_means(x: np.ndarray, batches: int = 20) -> tuple[float, float]:
    """Mean of a correlated series and its standard error by non-overlapping batch means."""
    x = np.asarray(x, dtype=float)
    n = x.size // batches
    means = x[: n * batches].reshape(batches, n).mean(axis=1)
    return float(x.mean()), float(means.std(ddof=1) / math.sqrt(batches))


def simpy_tandem(arrivals_per_hour: float, service_hours: float, servers: int, stations: int,
                 horizon_hours: float, warmup_hours: float, seed: int) -> QueueRun:
    """Raw SimPy: a process per customer passing ``stations`` Resources in turn."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    lanes = [simpy.Resource(env, capacity=servers) for _ in range(stations)]
    waits: list[list[float]] = [[] for _ in range(stations)]
    mean_gap = 1.0 / arrivals_per_hour
    count = [0]

    def customer(env: simpy.Environment):
        for lane, wait in zip(lanes, waits, strict=True):
            arrived = env.now
            with lane.request() as req:
                yield req
                if arrived >= warmup_hours:
                    wait.append(env.now - arrived)
                yield env.timeout(rng.exponential(service_hours))

    def source(env: simpy.Environment):
        while True:
            yield env.timeout(rng.exponential(mean_gap))
            count[0] += 1
            env.process(customer(env))

    env.process(source(env))
    env.run(until=horizon_hours)
    return QueueRun([np.asarray(w) for w in waits], next(env._eid), count[0])


def heapq_tandem(arrivals_per_hour: float, service_hours: float, servers: int, stations: int,
                 horizon_hours: float, warmup_hours: float, seed: int) -> QueueRun:
    """A bare event loop: a heap of (time, seq, station, customer) departures and arrivals."""
    rng = np.random.default_rng(seed)
    n = int(rng.poisson(arrivals_per_hour * horizon_hours))
    arrivals = np.sort(rng.uniform(0.0, horizon_hours, n)).tolist()
    service = rng.exponential(service_hours, (stations, n)).tolist()
    free = [servers] * stations
    queues: list[deque] = [deque() for _ in range(stations)]
    waits: list[list[float]] = [[] for _ in range(stations)]
    joined = [0.0] * n
    heap: list[tuple[float, int, int, int]] = []
    push, pop = heapq.heappush, heapq.heappop
    seq = 0
    if n:
        push(heap, (arrivals[0], 0, -1, 0))  # station -1: the next arrival from outside
    events = 1
    while heap:
        now, _, k, c = pop(heap)
        if now >= horizon_hours:
            break
        if k < 0:  # customer c arrives from outside, at station 0
            if c + 1 < n:
                seq += 1
                push(heap, (arrivals[c + 1], seq, -1, c + 1))
                events += 1
            k = 0
        else:  # customer c finished service at station k
            q = queues[k]
            if q:
                nxt = q.popleft()
                if joined[nxt] >= warmup_hours:
                    waits[k].append(now - joined[nxt])
                seq += 1
                push(heap, (now + service[k][nxt], seq, k, nxt))
                events += 1
            else:
                free[k] += 1
            k += 1
            if k == stations:
                continue
        joined[c] = now  # customer c joins station k
        if free[k]:
            free[k] -= 1
            if now >= warmup_hours:
                waits[k].append(0.0)
            seq += 1
            push(heap, (now + service[k][c], seq, k, c))
            events += 1
        else:
            queues[k].append(c)
    customers = sum(1 for t in arrivals if t < horizon_hours)
    return QueueRun([np.asarray(w) for w in waits], events, customers)
