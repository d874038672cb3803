"""The ``lean-analysis`` command: its parser and every command's handler (arguments in,
printed lines and an exit code out). The work itself lives in its module: ``sample``
(synthetic county), ``data.validate`` (checks of the tables), ``runner`` (the monthly run),
``params`` and ``targets`` (what ``list`` shows)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lean-analysis", description="lean-marketing workbench")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sample", help="write a synthetic county")
    s.add_argument("--size", default="small",
                   help="small | county | county*K (K a scale factor, e.g. county*4)")
    s.add_argument("--out", default=None, help="folder to write (default: data/sample-<size>)")
    s.add_argument("--seed", type=int, default=20261027)
    s.add_argument("--format", choices=["csv", "parquet"], default=None,
                   help="file format of the tables (default: csv; parquet for scaled sizes)")

    v = sub.add_parser("validate", help="check the tables and list every problem")
    v.add_argument("--data", required=True, help="folder of tables or a DuckDB file")

    r = sub.add_parser("run", help="run the monthly batch of reports")
    r.add_argument("batch", nargs="?", default=None, help="batch file (default params/monthly.yaml)")
    r.add_argument("--period", required=True, help="YYYY-MM or last-month")
    r.add_argument("--data", default=None, help="folder of tables or a DuckDB file")
    r.add_argument("--only", action="append", default=None, help="run only this report (repeatable)")
    r.add_argument("--lang", choices=["zh", "en"], default=None)
    r.add_argument("--jobs", type=int, default=None, help="reports run at once")
    r.add_argument("--outputs", default=None, help="outputs folder (default outputs/)")

    sub.add_parser("list", help="the notebooks, their parameters and the figures they publish")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"sample": cli_sample, "validate": cli_validate, "run": cli_run, "list": cli_list}
    return handlers[args.command](args)  # argparse guarantees one of them


# --------------------------------------------------------------------------- sample
def cli_sample(args) -> int:
    """``lean-analysis sample --size small|county|county*K --out DIR --seed N --format csv|parquet``."""
    import time

    from lean_analysis import config
    from lean_analysis.sample import parse_size, write_sample

    spec = parse_size(args.size)
    label = spec.name if spec.scale is None else f"county-x{spec.scale}"
    out = Path(args.out) if args.out else config.PROJECT_ROOT / "data" / f"sample-{label}"
    t0 = time.perf_counter()
    truth = write_sample(out, size=args.size, seed=args.seed, fmt=getattr(args, "format", None))
    secs = time.perf_counter() - t0
    print(f"wrote {out}")
    print(f"{truth['size']}: {truth['n_customers']:,} customers, {truth['n_products']} "
          f"specifications, {truth['n_order_lines']:,} order lines, weeks {truth['first_week']} "
          f"… {truth['last_week']}, seed {truth['seed']}, {truth['format']}, {secs:.1f} s")
    return 0


# --------------------------------------------------------------------------- validate
def cli_validate(args) -> int:
    """``lean-analysis validate --data DIR|URL``: print every problem; exit 1 on any error, 2
    when a database source cannot be read."""
    import duckdb

    from lean_analysis.data import DuckDBMemoryError
    from lean_analysis.data.database import SourceError
    from lean_analysis.data.load import format_problems, open_tables
    from lean_analysis.data.validate import check
    from lean_analysis.redact import mask_secrets

    shown = mask_secrets(str(args.data))
    try:
        t = open_tables(args.data)
    except SourceError as e:
        print(f"lean-analysis validate: error: {e}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError, duckdb.Error) as e:
        print(f"error: {mask_secrets(str(e))}", file=sys.stderr)
        return 1
    with t:
        try:
            checked = check(t)
        except DuckDBMemoryError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        problems = checked.problems
        n_tables = len(t.names)
        n_rows = sum(checked.n_rows.values())
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if problems:
        print(format_problems(problems))
        print()
    if errors:
        print(f"FAILED: {errors} error(s), {warnings} warning(s) in {n_tables} tables, "
              f"{n_rows:,} rows checked ({shown})")
        return 1
    w = f", {warnings} warning(s)" if warnings else ""
    print(f"OK: {n_tables} tables, {n_rows:,} rows checked{w}")
    return 0


# --------------------------------------------------------------------------- run
def cli_run(args) -> int:
    """``lean-analysis run``: exit 0 when every report is ok, 1 when one failed, 2 when a check
    failed before any kernel started."""
    import signal
    import threading

    from lean_analysis.runner import EXIT_INVALID, ParamError, run_batch

    def _terminate(signum, frame):  # cron or a user stopping the run: clean up, then exit
        raise SystemExit(128 + signum)

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        result = run_batch(args.batch, period=args.period, data=args.data, only=args.only,
                           lang=args.lang, jobs=args.jobs, outputs=args.outputs)
    except ParamError as e:
        print(f"lean-analysis run: error: {e}", file=sys.stderr)
        return EXIT_INVALID
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    for r in result.reports:
        dur = r.timings.get("total_s")
        extra = f"  {dur:.1f} s" if dur else ""
        note = f"  {r.note}" if r.note and r.status != "ok" else ""
        print(f"{r.status:8s} {r.name}{extra}{note}")
    if not result.published:
        print(f"a report failed: the previous good run of {result.period} is kept; this run is in "
              f"{result.folder}", file=sys.stderr)
    print(result.index)
    return result.exit_code


# --------------------------------------------------------------------------- list
def cli_list(args) -> int:
    """``lean-analysis list``: the batch's reports and every notebook's parameters (name,
    type, notebook default, value in the params file) and the figures each report publishes
    (name, unit, definition: :func:`lean_analysis.targets.figures_of`)."""
    from lean_analysis import config
    from lean_analysis.params import (
        COMMON_PARAMETERS,
        ParamError,
        ReportSpec,
        load_batch,
        load_report_params,
        notebook_parameters,
        rel,
    )
    from lean_analysis.runner import EXIT_FAILED, EXIT_OK

    batch_path = getattr(args, "batch", None) or config.BATCH_FILE
    try:
        batch = load_batch(batch_path)
    except ParamError as e:
        print(f"lean-analysis list: {e}", file=sys.stderr)
        batch = None
    listed: dict[Path, ReportSpec] = {s.notebook.resolve(): s for s in (batch.reports if batch else [])}
    notebooks = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")) if config.NOTEBOOKS_DIR.is_dir() else []
    paths = list(dict.fromkeys([*listed, *(p.resolve() for p in notebooks)]))
    status = EXIT_OK
    for nb in paths:
        spec = listed.get(nb)
        head = f"{nb.stem}  ({rel(nb)})"
        if spec is None:
            head += "  [not in the batch]"
        else:
            extras = []
            if spec.params_file:
                extras.append(f"params {rel(spec.params_file)}")
            if spec.months:
                extras.append(f"months {spec.months}")
            if spec.runs_last:
                extras.append("runs last")
            if extras:
                head += "  " + ", ".join(extras)
        print(head)
        if not nb.exists():
            print("    MISSING: the notebook does not exist")
            status = EXIT_FAILED
            continue
        try:
            declared = notebook_parameters(nb)
            values = load_report_params(spec) if spec is not None else {}
        except ParamError as e:
            print(f"    error: {e}")
            status = EXIT_FAILED
            continue
        for p in declared.values():
            line = f"    {p.name}: {p.type_name} = {p.default!r}"
            if p.name in COMMON_PARAMETERS:
                line += "  (set by the runner)"
            elif p.name in values and values[p.name] != p.default:
                line += f"  -> {values[p.name]!r} (params file)"
            if p.choices is not None:
                line += "  {" + ", ".join(repr(c) for c in p.choices) + "}"
            if p.bounds is not None:
                lo, hi = p.bounds
                line += f"  [{'' if lo is None else f'{lo:g}'}, {'' if hi is None else f'{hi:g}'}]"
            if p.help:
                line += f"  # {p.help}"
            print(line)
        unknown = [k for k in values if k not in declared]
        for k in unknown:
            print(f"    UNKNOWN in params file: {k}")
            status = EXIT_FAILED
        _print_figures(spec.name if spec is not None else nb.stem)
    return status


def _print_figures(report: str) -> None:
    """The figures ``report`` publishes in its metrics.json, as declared in
    :data:`lean_analysis.targets.FIGURES`."""
    from lean_analysis import targets

    figures = targets.figures_of(report)
    if not figures:
        return
    print("    figures published (metrics.json):")
    for f in figures:
        unit = f.unit if f.unit is not None else "unit varies"
        feeds = f"  (target {f.feeds})" if f.feeds else ""
        print(f"      {f.name} [{unit}]: {f.definition}{feeds}")


if __name__ == "__main__":
    sys.exit(main())
