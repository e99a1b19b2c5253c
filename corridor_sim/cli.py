"""The ``corridor-sim`` command line: run, compare, sweep, optimise, map, validate, list.

Every command delegates to the Python API; a user mistake prints ``FILE:LINE: key: message``
lines and exits with status 2, without a traceback and without writing anything. Warnings
(a warm-up that looks too short, a precision target not reached) are printed on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["main", "parse_set", "parse_target"]

EXIT_USAGE = 2

_SHOWN_KPIS = ("created", "delivered", "in_system", "rejected", "lead_time_hours.mean",
               "lead_time_hours.p95", "spoiled_share")
_MAP_FORMATS = (".png", ".pdf", ".svg", ".jpg", ".jpeg")
_CLOCK = re.compile(r"^\d{1,2}:\d{2}$")


def _outside_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-outside", action="store_true",
                   help="let extends: and csv: name absolute paths and files outside the "
                   "scenario's folder tree (refused by default; trust the scenario first)")


def _executor_options(p: argparse.ArgumentParser) -> None:
    _outside_option(p)
    p.add_argument("-r", "--replications", type=int, help="replications (default: scenario's)")
    p.add_argument("-s", "--seed", type=int, help="base seed (default: scenario's)")
    p.add_argument("-w", "--workers", type=int, default=1,
                   help="local worker processes (or Dask workers of a local cluster)")
    p.add_argument("--executor", choices=("serial", "processes", "dask"),
                   help="where replications run (default: processes when --workers > 1)")
    p.add_argument("--address", help="Dask scheduler address tcp://HOST:PORT (default: "
                   "$CORRIDOR_SIM_DASK_ADDRESS, else a local cluster)")
    p.add_argument("--no-plots", action="store_true", help="skip the plots")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or table")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="corridor-sim",
        description="Simulate the Kazakhstan–China freight corridor from scenario files.")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    r = sub.add_parser("run", help="run a scenario and write its results")
    r.add_argument("scenario", nargs="?", default="baseline",
                   help="scenario file or bundled name (default: the bundled baseline)")
    _executor_options(r)
    r.add_argument("-o", "--out", type=Path, help="output folder (default results/<name>/)")
    r.add_argument("--target-halfwidth", action="append", default=[], metavar="KPI=VALUE",
                   help="add replications until this KPI's 95%% CI half-width is at most "
                   "VALUE (in the KPI's unit); repeatable")
    r.add_argument("--tables", choices=("first", "all", "none"), default="first",
                   help="raw shipment and visit tables: of the first replication (default), "
                   "of all, or none; KPIs, series and plots cover every replication")
    r.add_argument("--table-format", choices=("parquet", "csv"), default="parquet",
                   help="file format of the raw tables (default parquet)")
    r.add_argument("--max-replications", type=int, default=200,
                   help="cap on replications with --target-halfwidth (default 200)")

    c = sub.add_parser("compare", help="compare scenarios with common random numbers")
    c.add_argument("scenarios", nargs="+", help="scenario files or bundled names; the first "
                   "is the reference")
    _executor_options(c)
    c.add_argument("-o", "--out", type=Path, default=Path("results") / "comparison",
                   help="output folder (default results/comparison/)")

    s = sub.add_parser("sweep", help="run every combination of some settings")
    s.add_argument("scenario", help="scenario file or bundled name")
    s.add_argument("--set", dest="sets", action="append", default=[], metavar="PATH=V1,V2",
                   help="a setting (dotted path) and its values, e.g. "
                   "nodes.khorgos_road.lanes.general=4,6,8; repeatable")
    _executor_options(s)
    s.add_argument("-o", "--out", type=Path, help="output folder (default results/sweep-<name>/)")

    o = sub.add_parser("optimise", help="cheapest design meeting service levels (capacity "
                       "planning)")
    o.add_argument("spec", help="spec file (see docs/howto/plan-capacity.md) or a bundled "
                   "spec's name, e.g. nur_zholy_capacity")
    o.add_argument("-o", "--out", type=Path,
                   help="output folder (default results/optimise-<name>/)")
    o.add_argument("-s", "--seed", type=int, help="base seed (default: the spec's)")
    o.add_argument("-w", "--workers", type=int, default=1,
                   help="local worker processes (or Dask workers of a local cluster)")
    o.add_argument("--executor", choices=("serial", "processes", "dask"),
                   help="where replications run (default: processes when --workers > 1)")
    o.add_argument("--address", help="Dask scheduler address tcp://HOST:PORT")
    o.add_argument("--no-plots", action="store_true", help="skip the plots")
    o.add_argument("-q", "--quiet", action="store_true", help="no progress bar or table")

    m = sub.add_parser("map", help="draw the corridor network of a scenario")
    m.add_argument("scenario", help="scenario file or bundled name")
    _outside_option(m)
    m.add_argument("-o", "--out", type=Path,
                   help="image file, .png/.pdf/.svg (default results/<name>/map.png)")

    k = sub.add_parser("calibrate", help="simulated against published corridor figures")
    k.add_argument("scenario", nargs="?", default="baseline",
                   help="scenario file or bundled name (default: the bundled baseline)")
    _executor_options(k)
    k.add_argument("-o", "--out", type=Path, help="also write the table to this CSV file")

    v = sub.add_parser("validate", help="check scenario files and report every problem")
    v.add_argument("files", nargs="+", help="scenario files or bundled names")
    _outside_option(v)

    rt = sub.add_parser("routes", help="each flow's candidate routes, their costs and shares")
    rt.add_argument("scenario", help="scenario file or bundled name")
    _outside_option(rt)
    rt.add_argument("--all", action="store_true",
                    help="show every candidate, not only the chosen and the next best")
    rt.add_argument("-o", "--out", type=Path, help="also write the whole table to this CSV file")

    sub.add_parser("list", help="list the bundled scenarios")
    return p


# --------------------------------------------------------------------------- parsing


def parse_set(texts: Sequence[str]) -> dict[str, list[Any]]:
    """Parse ``--set PATH=V1,V2`` options into sweep factors.

    Parameters
    ----------
    texts : sequence of str
        Each ``"dotted.path=v1,v2,…"``; values are read as YAML scalars (``4`` → int,
        ``4.5`` → float, ``true`` → bool, ``null`` → None, clock times and words → text).

    Returns
    -------
    dict of str to list

    Raises
    ------
    ScenarioError
        For a malformed option or a path given twice.

    Examples
    --------
    >>> parse_set(["nodes.x.lanes.general=4,6", "nodes.x.calendar=day_shift"])
    {'nodes.x.lanes.general': [4, 6], 'nodes.x.calendar': ['day_shift']}
    """
    import yaml

    from .errors import Problem, ScenarioError

    out: dict[str, list[Any]] = {}
    problems = []
    for text in texts:
        path, sep, values = text.partition("=")
        path = path.strip()
        items = [v.strip() for v in values.split(",")] if sep else []
        if not path or not sep or not items or any(v == "" for v in items):
            problems.append(Problem("--set", f"expected PATH=V1,V2,… got {text!r}"))
            continue
        if path in out:
            problems.append(Problem("--set", f"{path!r} is given twice"))
            continue
        parsed = []
        for v in items:
            try:
                parsed.append(v if _CLOCK.match(v) else yaml.safe_load(v))
            except yaml.YAMLError:
                parsed.append(v)
        out[path] = parsed
    if problems:
        raise ScenarioError(problems)
    return out


def parse_target(texts: Sequence[str]) -> dict[str, float]:
    """Parse ``--target-halfwidth KPI=VALUE`` options.

    Parameters
    ----------
    texts : sequence of str
        Each ``"kpi.name=value"`` with a value > 0 in the KPI's unit.

    Returns
    -------
    dict of str to float

    Examples
    --------
    >>> parse_target(["border.wait_hours.mean=0.1"])
    {'border.wait_hours.mean': 0.1}
    """
    from .errors import Problem, ScenarioError

    out: dict[str, float] = {}
    problems = []
    for text in texts:
        kpi, sep, value = text.rpartition("=")
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not sep or not kpi.strip() or not number > 0 or number == float("inf"):
            problems.append(Problem("--target-halfwidth",
                                    f"expected KPI=VALUE with VALUE > 0, got {text!r}"))
        else:
            out[kpi.strip()] = number
    if problems:
        raise ScenarioError(problems)
    return out


# --------------------------------------------------------------------------- commands


def _with_warnings(call: Callable[[], Any]) -> Any:
    """Run ``call``, then print the warnings it raised as ``warning: …`` lines on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        out = call()
    seen = set()
    for w in caught:
        if issubclass(w.category, UserWarning) and str(w.message) not in seen:
            seen.add(str(w.message))
            print(f"warning: {w.message}", file=sys.stderr)
    return out


def _frame_text(frame) -> str:  # noqa: ANN001 - a DataFrame
    import pandas as pd

    with pd.option_context("display.float_format", "{:,.3g}".format, "display.max_rows", 300,
                           "display.width", 140, "display.max_columns", 20):
        return frame.to_string()


def _kpi_table(res) -> str:  # noqa: ANN001 - Results
    summary = res.summary()
    rows = [k for k in summary.index if k in _SHOWN_KPIS or k.endswith(
        (".wait_hours.mean", ".utilisation", ".vehicles_per_day"))]
    return _frame_text(summary.loc[rows, ["mean", "ci_low", "ci_high", "n"]])


def _run_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {"replications": args.replications, "seed": args.seed, "workers": args.workers,
            "executor": args.executor, "address": args.address,
            "progress": False if args.quiet else None}


def _load(args: argparse.Namespace, source: str):  # noqa: ANN202 - Scenario
    from .scenario import load_scenario

    return load_scenario(source, allow_outside=getattr(args, "allow_outside", False))


def _check_counts(args: argparse.Namespace) -> None:
    """Refuse replication and worker counts no machine could run, before anything starts."""
    from .errors import Problem, ScenarioError
    from .scenario.guards import MAX_REPLICATIONS

    problems = []
    for flag, value in (("--replications", args.replications),
                        ("--max-replications", getattr(args, "max_replications", None))):
        if value is not None and value > MAX_REPLICATIONS:
            problems.append(Problem(flag, f"must be at most {MAX_REPLICATIONS:,}, got {value:,}"))
    if args.workers > 1024:
        problems.append(Problem("--workers", f"must be at most 1024, got {args.workers:,}"))
    if problems:
        raise ScenarioError(problems)


def _warn_scenario(scenario) -> None:  # noqa: ANN001 - Scenario
    from .checks import scenario_warnings, warn

    warn(scenario_warnings(scenario))


def _warn_results(res) -> None:  # noqa: ANN001 - Results
    from .checks import result_warnings, warn

    warn(result_warnings(res.kpis, res.scenario))


def _cmd_run(args: argparse.Namespace) -> int:
    from ._files import check_output_folder, safe_name
    from .experiment import run

    _check_counts(args)
    scenario = _load(args, args.scenario)
    targets = parse_target(args.target_halfwidth)
    out = args.out or Path("results") / safe_name(scenario.name)
    check_output_folder(out)

    def call():  # noqa: ANN202
        _warn_scenario(scenario)
        res = run(scenario, **_run_kwargs(args), target_halfwidth=targets,
                  max_replications=args.max_replications, keep=args.tables)
        _warn_results(res)
        return res

    res = _with_warnings(call)
    res.to_dir(out, plots=not args.no_plots, tables=args.tables,
               table_format=args.table_format)
    if not args.quiet:
        print(f"\n{scenario.name}: {res.replications} replications of "
              f"{scenario.horizon_days:g} days (warm-up {scenario.warmup_days:g}); "
              f"KPIs with 95% confidence intervals\n")
        print(_kpi_table(res))
        print(f"\nresults written to {out}/ (open report.html)")
    return 0


def _names_for(args: argparse.Namespace, paths: Sequence[str]) -> dict[str, Any]:
    from .errors import ScenarioError

    scenarios, problems = [], []
    for p in paths:
        try:
            scenarios.append(_load(args, p))
        except ScenarioError as err:
            problems += err.problems
    if problems:
        raise ScenarioError(problems)
    names = [sc.name for sc in scenarios]
    out: dict[str, Any] = {}
    for path, sc, name in zip(paths, scenarios, names, strict=True):
        if names.count(name) > 1:
            name = Path(path).stem
        base, i = name, 2
        while name in out:
            name, i = f"{base} ({i})", i + 1
        out[name] = sc
    return out


def _print_comparison(cmp, out: Path, args: argparse.Namespace) -> None:  # noqa: ANN001
    if args.quiet:
        return
    from .errors import ScenarioError
    from .report import key_kpis

    try:
        print("\n" + cmp.scorecard().to_text())
    except ScenarioError:
        print("\nno scorecard: the scenarios have no money inputs (a money: block)")
    diffs = cmp.differences(key_kpis(cmp.kpi_names))
    cols = ["mean", "diff", "diff_ci_low", "diff_ci_high", "significant"]
    print(f"\ndifferences from {cmp.reference!r} (paired, 95% CI; "
          f"{cmp.results[cmp.reference].replications} replications each)\n")
    print(_frame_text(diffs[cols]))
    print(f"\nresults written to {out}/ (open report.html)")


def _cmd_compare(args: argparse.Namespace) -> int:
    from ._files import check_output_folder
    from .comparison import compare
    from .errors import Problem, ScenarioError

    if len(args.scenarios) < 2:
        raise ScenarioError([Problem("scenarios", "compare needs at least two scenario files")])
    _check_counts(args)
    scenarios = _names_for(args, args.scenarios)
    check_output_folder(args.out)

    def call():  # noqa: ANN202
        for sc in scenarios.values():
            _warn_scenario(sc)
        cmp = compare(scenarios, **_run_kwargs(args))
        for res in cmp.results.values():
            _warn_results(res)
        return cmp

    cmp = _with_warnings(call)
    cmp.to_dir(args.out, plots=not args.no_plots)
    _print_comparison(cmp, args.out, args)
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from ._files import check_output_folder, safe_name
    from .comparison import sweep
    from .errors import Problem, ScenarioError

    if not args.sets:
        raise ScenarioError([Problem("--set", "give at least one --set PATH=V1,V2")])
    _check_counts(args)
    factors = parse_set(args.sets)
    scenario = _load(args, args.scenario)
    out = args.out or Path("results") / f"sweep-{safe_name(scenario.name)}"
    check_output_folder(out)

    def call():  # noqa: ANN202
        _warn_scenario(scenario)
        return sweep(scenario, factors, **_run_kwargs(args))

    cmp = _with_warnings(call)
    cmp.to_dir(out, plots=not args.no_plots)
    _print_comparison(cmp, out, args)
    return 0


def _cmd_optimise(args: argparse.Namespace) -> int:
    import dataclasses

    from ._files import check_output_folder, safe_name
    from .errors import Problem, ScenarioError
    from .optimise import optimise
    from .optimise_spec import load_spec

    if args.workers < 1 or args.workers > 1024:
        raise ScenarioError([Problem("--workers", f"must be in 1 … 1024, got {args.workers}")])
    if args.seed is not None and args.seed < 0:
        raise ScenarioError([Problem("--seed", f"must be ≥ 0, got {args.seed}")])
    spec = load_spec(args.spec)
    if args.seed is not None:
        spec = dataclasses.replace(spec, seed=args.seed)
    out = args.out or Path("results") / f"optimise-{safe_name(spec.name)}"
    check_output_folder(out)
    opt = _with_warnings(lambda: optimise(spec, workers=args.workers, executor=args.executor,
                                          address=args.address,
                                          progress=False if args.quiet else None))
    opt.to_dir(out, plots=not args.no_plots)
    if not args.quiet:
        ran = opt.trace[opt.trace["replications"] > 0]
        print(f"\n{spec.name}: {len(ran)} of {len(opt.trace)} designs run, "
              f"{int(ran['replications'].sum())} replications, {opt.seconds:.0f} s "
              f"({opt.stopped})")
        if opt.chosen is None:
            print("no design was declared feasible")
        else:
            print(f"chosen: {opt.chosen}\n")
            print(_frame_text(opt.table()))
            if opt.runner_ups:
                print("\nrunner-ups not statistically worse: " + "; ".join(opt.runner_ups))
        print(f"\nresults written to {out}/ (open report.html)")
    return 0


def _cmd_map(args: argparse.Namespace) -> int:
    from ._files import safe_name
    from .errors import Problem, ScenarioError

    scenario = _load(args, args.scenario)
    out = args.out or Path("results") / safe_name(scenario.name) / "map.png"
    if out.suffix.lower() not in _MAP_FORMATS:
        raise ScenarioError([Problem("--out", f"must end in {', '.join(_MAP_FORMATS)}, got "
                                     f"{str(out)!r}")])
    _check_file_out(out)
    import matplotlib.pyplot as plt

    from . import plot

    ax = plot.network(scenario)
    out.parent.mkdir(parents=True, exist_ok=True)
    ax.figure.savefig(out, dpi=120)
    plt.close(ax.figure)
    print(f"map written to {out}")
    return 0


def _check_file_out(out: Path) -> None:
    """Refuse an output file that is a folder or whose folder cannot be written."""
    from ._files import check_output_folder
    from .errors import OutputError

    if out.is_dir():
        raise OutputError(f"output file {str(out)!r} is a folder; give a file name")
    if out.parent.is_dir() and not os.access(out.parent, os.W_OK | os.X_OK):
        raise OutputError(f"output file {str(out)!r} cannot be written (permission denied)")
    if not out.parent.exists():
        check_output_folder(out.parent)


def _cmd_validate(args: argparse.Namespace) -> int:
    from .checks import scenario_warnings
    from .errors import ScenarioError

    failed = 0
    for f in args.files:
        try:
            sc = _load(args, f)
        except ScenarioError as err:
            failed += 1
            print(err, file=sys.stderr)
        else:
            print(f"{f}: ok ({sc.name}: {len(sc.nodes)} nodes, {len(sc.links)} links, "
                  f"{len(sc.demand)} flows)")
            for msg in scenario_warnings(sc):
                print(f"warning: {f}: {msg}", file=sys.stderr)
    return EXIT_USAGE if failed else 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from .calibration import calibration_report
    from .experiment import run

    _check_counts(args)
    scenario = _load(args, args.scenario)
    if args.out is not None:
        _check_file_out(args.out)
    res = _with_warnings(lambda: run(scenario, **_run_kwargs(args)))
    report = calibration_report(res)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        report.to_csv(args.out)
    shown = report[["simulated", "ci_low", "ci_high", "low", "high", "unit", "within",
                    "source"]].copy()
    for col in ("simulated", "ci_low", "ci_high", "low", "high"):
        shown[col] = [f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.1f}" for v in shown[col]]
    print(f"\n{scenario.name}: {res.replications} replications of "
          f"{scenario.horizon_days:g} days; simulated mean with 95% CI against the range the "
          "published figures support\n")
    print(_frame_text(shown))
    missed = int((~report["within"]).sum())
    print(f"\n{len(report) - missed} of {len(report)} figures within their published range")
    return 0


def _cmd_routes(args: argparse.Namespace) -> int:
    from .choice import assign, route_table, route_warnings

    scenario = _load(args, args.scenario)
    if args.out is not None:
        _check_file_out(args.out)
    assignment = assign(scenario)
    table = route_table(scenario, assignment)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out, index=False)
    cols = ["share", "travel_hours", "service_hours", "queue_hours", "money_usd", "cost"]
    for fc in assignment.flows:
        rows = table[table["flow"] == fc.key]
        if not args.all:
            keep = (rows["share"] > 0) | (rows.index == rows[rows["share"] == 0].index.min())
            rows = rows[keep]
        unit = "hours" if fc.unit == "h" else "USD per unit (money + value of time × hours)"
        scale = f", scale {fc.scale:g}" if fc.scale is not None else ""
        print(f"\n{fc.key}  [{fc.method}{scale}; cost in {unit}]")
        shown = rows.set_index("route")[cols].copy()
        shown["share"] = [f"{v:.1%}" for v in shown["share"]]
        for col in cols[1:]:
            shown[col] = [f"{v:,.1f}" for v in shown[col]]
        print(_frame_text(shown))
    for msg in route_warnings(scenario, assignment):
        print(f"warning: {msg}", file=sys.stderr)
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from .scenario import bundled, bundled_names

    for name in bundled_names():
        sc = bundled(name)
        print(f"{name:<24} {sc.description}")
    return 0


_COMMANDS = {"run": _cmd_run, "compare": _cmd_compare, "sweep": _cmd_sweep,
             "optimise": _cmd_optimise, "map": _cmd_map, "calibrate": _cmd_calibrate,
             "validate": _cmd_validate, "routes": _cmd_routes, "list": _cmd_list}


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

    with _terminate_as_interrupt():
        try:
            return _COMMANDS[args.command](args)
        except CorridorSimError as err:
            print(err, file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        except OSError as err:  # disk full, a folder removed under us: no traceback
            print(f"error: {err}", file=sys.stderr)
            return 1


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """While active, SIGTERM raises ``SystemExit(143)``, so every ``finally`` cleans up.

    A half-written output folder is then removed, as on Ctrl-C.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, frame: object) -> None:
        print("terminated", file=sys.stderr)
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
