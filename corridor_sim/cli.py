"""The ``corridor-sim`` command line: run, validate and list scenarios.

Every command delegates to the Python API; a user mistake prints ``FILE:LINE: key: message``
lines and exits with status 2, without a traceback and without writing anything.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]

EXIT_USAGE = 2

_SHOWN_KPIS = ("created", "delivered", "in_system", "rejected", "lead_time_hours.mean",
               "lead_time_hours.p95", "spoiled_share")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="corridor-sim",
        description="Simulate the Kazakhstan–China freight corridor from scenario files.")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    r = sub.add_parser("run", help="run a scenario and write its results")
    r.add_argument("scenario", nargs="?", default="baseline",
                   help="scenario file or bundled name (default: the bundled baseline)")
    r.add_argument("-r", "--replications", type=int, help="replications (default: scenario's)")
    r.add_argument("-s", "--seed", type=int, help="base seed (default: scenario's)")
    r.add_argument("-w", "--workers", type=int, default=1, help="local worker processes")
    r.add_argument("-o", "--out", type=Path, help="output folder (default results/<name>/)")
    r.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar or table")

    v = sub.add_parser("validate", help="check scenario files and report every problem")
    v.add_argument("files", nargs="+", help="scenario files or bundled names")

    sub.add_parser("list", help="list the bundled scenarios")
    return p


def _kpi_table(res) -> str:
    import pandas as pd

    summary = res.summary()
    rows = [k for k in summary.index if k in _SHOWN_KPIS or k.endswith(
        (".wait_hours.mean", ".utilisation", ".vehicles_per_day"))]
    table = summary.loc[rows, ["mean", "ci_low", "ci_high", "n"]]
    with pd.option_context("display.float_format", "{:,.2f}".format,
                           "display.max_rows", 200, "display.width", 120):
        return table.to_string()


def _cmd_run(args: argparse.Namespace) -> int:
    from .experiment import run
    from .scenario import load_scenario

    scenario = load_scenario(args.scenario)
    out = args.out or Path("results") / scenario.name
    res = run(scenario, replications=args.replications, seed=args.seed, workers=args.workers,
              progress=not args.quiet)
    res.to_dir(out, plots=not args.no_plots)
    if not args.quiet:
        print(f"\n{scenario.name}: {res.replications} replications of "
              f"{scenario.horizon_days:g} days (warm-up {scenario.warmup_days:g}); "
              f"KPIs with 95% confidence intervals\n")
        print(_kpi_table(res))
        print(f"\nresults written to {out}/")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from .errors import ScenarioError
    from .scenario import load_scenario

    failed = 0
    for f in args.files:
        try:
            sc = load_scenario(f)
        except ScenarioError as err:
            failed += 1
            print(err, file=sys.stderr)
        else:
            print(f"{f}: ok ({sc.name}: {len(sc.nodes)} nodes, {len(sc.links)} links, "
                  f"{len(sc.demand)} flows)")
    return EXIT_USAGE if failed else 0


def _cmd_list(args: argparse.Namespace) -> int:
    from .scenario import bundled, bundled_names

    for name in bundled_names():
        sc = bundled(name)
        print(f"{name:<24} {sc.description}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status: 0 success, 2 invalid input.
    """
    args = _parser().parse_args(argv)
    if args.version:
        from . import __version__

        print(__version__)
        return 0
    if args.command is None:
        _parser().print_help()
        return EXIT_USAGE
    from .errors import CorridorSimError

    handler = {"run": _cmd_run, "validate": _cmd_validate, "list": _cmd_list}[args.command]
    try:
        return handler(args)
    except CorridorSimError as err:
        print(err, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
