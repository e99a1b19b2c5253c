"""The engine's run loop and samplers against SimPy's own loop and plain numpy draws."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from corridor_sim.engine.events import Tick, call_later, run_until
from corridor_sim.engine.random import Sampler, UniformSampler
from corridor_sim.scenario.distributions import Constant, Exponential


def _schedule(env: simpy.Environment, log: list, rng: np.random.Generator) -> None:
    """Ticks (some at the same time, some chaining more) beside a SimPy process."""
    def tick(ev: Tick) -> None:
        log.append(("tick", env.now, ev._value))
        if ev._value < 60:
            call_later(env, float(rng.integers(0, 3)), tick, ev._value + 3)

    for k in range(3):
        call_later(env, float(k % 2), tick, k)

    def process(env: simpy.Environment):
        for k in range(40):
            yield env.timeout(1.0)
            log.append(("process", env.now, k))

    env.process(process(env))
    urgent = simpy.Event(env)  # triggered by hand, as SimPy's own `until` event is
    urgent._ok, urgent._value = True, "urgent"
    urgent.callbacks.append(lambda ev: log.append(("urgent", env.now, ev.value)))
    env.schedule(urgent, simpy.events.URGENT, 10.0)


def _run(loop: str, until: float) -> tuple[list, float]:
    env, log = simpy.Environment(), []
    _schedule(env, log, np.random.default_rng(3))
    if loop == "simpy":
        env.run(until=until)
    else:
        run_until(env, until)
    return log, env.now


@pytest.mark.parametrize("until", [10.0, 17.5, 40.0])
def test_run_until_processes_what_simpy_processes_in_the_same_order(until):
    ours, now = _run("ours", until)
    theirs, simpy_now = _run("simpy", until)
    assert ours == theirs
    assert now == simpy_now == until
    assert any(entry[0] == "process" for entry in ours)
    # nothing after the stop; at the stop time only the urgent event scheduled before it
    assert all(entry[1] < until or entry[0] == "urgent" for entry in ours)
    assert (("urgent", 10.0, "urgent") in ours) == (until >= 10.0)


def test_run_until_can_resume_and_rejects_a_past_time():
    env, log = simpy.Environment(), []
    _schedule(env, log, np.random.default_rng(3))
    run_until(env, 5.0)
    run_until(env, 17.5)
    assert log == _run("simpy", 17.5)[0]
    with pytest.raises(ValueError, match="greater than the current"):
        run_until(env, 17.5)


def test_a_failed_simpy_event_still_crashes_the_run():
    env = simpy.Environment()
    env.schedule(simpy.Event(env).fail(KeyError("boom")), delay=1.0)
    with pytest.raises(KeyError, match="boom"):
        run_until(env, 5.0)


def test_simpy_can_still_process_ticks():
    env, seen = simpy.Environment(), []
    call_later(env, 2.0, lambda ev: seen.append((env.now, ev._value)), "x")
    env.run(until=5.0)
    assert seen == [(2.0, "x")]


def test_samplers_draw_the_batched_numpy_sequence():
    dist = Exponential(dist="exponential", mean_hours=2.0)
    sampler = Sampler(dist, np.random.default_rng(11), batch=16)
    drawn = [sampler() if i % 2 else sampler.draw() for i in range(40)]  # past two batches
    rng = np.random.default_rng(11)
    expected = np.concatenate([dist.sample(rng, 16) for _ in range(3)])[:40]
    assert drawn == expected.tolist()
    uniform = UniformSampler(np.random.default_rng(5))
    assert [uniform.draw() for _ in range(3)] == np.random.default_rng(5).random(3).tolist()
    assert Sampler(Constant(dist="constant", hours=1.5), np.random.default_rng(1)).draw() == 1.5


def test_resuming_stops_at_simpys_float_and_survives_a_failed_run():
    # SimPy stops a resumed run at `now + (until - now)`, which may differ from `until` by
    # an ulp; a tick scheduled at exactly `until` is processed or not as in SimPy.
    def resumed(loop: str) -> tuple[list, float]:
        env, seen = simpy.Environment(), []
        call_later(env, 77.038, lambda ev: seen.append(env.now))
        for until in (10.442, 77.038):
            (env.run(until=until) if loop == "simpy" else run_until(env, until))
        return seen, env.now

    assert resumed("ours") == resumed("simpy")

    env, seen = simpy.Environment(), []

    def boom(ev: Tick) -> None:
        raise RuntimeError("boom")

    call_later(env, 1.0, boom)
    call_later(env, 2.0, lambda ev: seen.append(env.now))
    with pytest.raises(RuntimeError, match="boom"):
        run_until(env, 5.0)
    run_until(env, 8.0)  # the first run's stop is still queued: it ends this run, as in SimPy
    assert seen == [2.0] and env.now == 5.0
    run_until(env, 8.0)
    assert env.now == 8.0
