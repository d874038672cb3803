"""The ``lean-analysis`` command. Parsing lives here; each command's work lives in its module."""

from __future__ import annotations

import argparse
import sys


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

    sub.add_parser("list", help="the notebooks and their parameters")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "sample":
        from lean_analysis.sample import cli_sample

        return cli_sample(args)
    if args.command == "validate":
        from lean_analysis.data.load import cli_validate

        return cli_validate(args)
    if args.command == "run":
        from lean_analysis.runner import cli_run

        return cli_run(args)
    if args.command == "list":
        from lean_analysis.runner import cli_list

        return cli_list(args)
    raise AssertionError(args.command)  # argparse guarantees one of the above


if __name__ == "__main__":
    sys.exit(main())
