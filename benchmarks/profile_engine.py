"""Profile one replication of the engine and print where the time goes.

Usage (from the repository root)::

    python benchmarks/profile_engine.py single_checkpoint   # M/M/4, ~200,000 shipments
    python benchmarks/profile_engine.py series              # 3 × M/M/4 in series
    python benchmarks/profile_engine.py baseline            # the one-year baseline
    python benchmarks/profile_engine.py baseline --top 30 --save baseline.prof
    python benchmarks/profile_engine.py baseline --pyinstrument   # sampling profiler

cProfile (the default) counts every call exactly but adds a fixed cost to each Python call —
about 5× on this engine, where most functions are tiny — so it overstates call-heavy code: read
its ranking and call counts, not its seconds. ``--pyinstrument`` (``pip install pyinstrument``)
samples the stack every millisecond instead, with little overhead, and prints the call tree with
the share of time under each function.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def scenario(name: str):
    """The scenario profiled under ``name``."""
    import corridor_sim as cs

    if name == "single_checkpoint":
        return cs.bundled("single_checkpoint").with_changes({"horizon_days": 2315,
                                                             "warmup_days": 1})
    if name == "series":
        from test_queues import series_scenario

        return series_scenario(3, 2315, 1)
    return cs.bundled(name)


def main(argv: list[str] | None = None) -> None:
    """Run and print the profile."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", help="single_checkpoint, series, or a bundled name")
    parser.add_argument("--top", type=int, default=20, help="rows per table (default 20)")
    parser.add_argument("--save", help="write the raw cProfile data here (for snakeviz etc.)")
    parser.add_argument("--pyinstrument", action="store_true",
                        help="sample with pyinstrument instead of cProfile")
    args = parser.parse_args(argv)

    from corridor_sim.engine import CorridorModel

    sc = scenario(args.scenario)
    t0 = time.perf_counter()
    model = CorridorModel(sc, 0, sc.seed)
    built = time.perf_counter() - t0
    if args.pyinstrument:
        from pyinstrument import Profiler

        sampler = Profiler(interval=0.001)
        t0 = time.perf_counter()
        sampler.start()
        data = model.run()
        sampler.stop()
    else:
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        data = model.run()
        prof.disable()
    ran = time.perf_counter() - t0
    shipments, visits = len(data.columns["s_flow"]), len(data.columns["v_sid"])
    tool = "pyinstrument" if args.pyinstrument else "cProfile"
    print(f"{args.scenario}: {shipments:,} shipments, {visits:,} visits, "
          f"{next(model.env._eid):,} events; build {built:.2f} s, run {ran:.2f} s under {tool}")
    if args.pyinstrument:
        print(sampler.output_text(unicode=True, color=False, show_all=False))
        return
    if args.save:
        prof.dump_stats(args.save)
    for key, title in (("cumulative", "cumulative time"), ("tottime", "own time")):
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out)
        stats.strip_dirs().sort_stats(key).print_stats(args.top)
        text = out.getvalue()
        print(f"\n=== top {args.top} by {title} ===")
        print(text[text.index("   ncalls"):].rstrip())


if __name__ == "__main__":
    main()
