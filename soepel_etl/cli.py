"""The ``soepel-etl`` console command: parses arguments, calls pipeline functions, prints summaries."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import sys

from .identity.pseudonyms import PseudonymKeyError
from .privacy import scrub
from .reference import ReferenceError
from .warehouse.transaction import WarehouseBusy


_DISK_ERRORS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO, errno.EROFS}
_DISK_PHRASES = ("No space left on device", "File too large", "Disk quota exceeded", "Input/output error",
                 "Read-only file system")


def _run(args) -> int:
    from . import pipeline
    from .settings import Settings

    settings = Settings.resolve(landing=args.landing, warehouse=args.warehouse, reference=args.reference,
                                reference_date=args.reference_date)
    summary = pipeline.run(settings, force=args.force)
    print("\n".join(summary.lines()))
    return 0


def _generate(args) -> int:
    from .synthetic import generate

    from .settings import absolute

    summary = generate(absolute(args.out), persons=args.persons, seed=args.seed)
    print(json.dumps(summary, indent=1, default=str))
    return 0


def _sql(args) -> int:
    import duckdb

    from .settings import absolute
    from .warehouse.catalog import CATALOG, write_catalog
    from .warehouse.marker import check

    warehouse = check(absolute(args.warehouse))
    catalog = warehouse / CATALOG
    if not catalog.exists():
        write_catalog(warehouse)
    con = duckdb.connect(str(catalog), read_only=True)
    try:
        relation = con.sql(args.query)
        if relation is None:
            return 0
        columns = relation.columns
        rows = relation.fetchall()
    finally:
        con.close()
    if args.format == "csv":
        import csv
        writer = csv.writer(sys.stdout, delimiter=";")
        writer.writerow(columns)
        writer.writerows(rows)
        return 0
    print(_table(columns, rows, args.max_rows))
    return 0


def _table(columns: list[str], rows: list[tuple], max_rows: int) -> str:
    """A plain text table: columns padded, numbers right-aligned, a row count below."""
    shown = rows[:max_rows]
    text = [["" if v is None else str(v) for v in row] for row in shown]
    widths = [max([len(c)] + [len(r[i]) for r in text]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(row[i], (int, float)) or row[i] is None for row in shown) for i in range(len(columns))]

    def line(values):
        return " | ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    out = [line(columns), "-+-".join("-" * w for w in widths)] + [line(r) for r in text]
    more = f" (first {max_rows} shown)" if len(rows) > max_rows else ""
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''}{more})")
    return "\n".join(out)


def _report(args) -> int:
    from .report import write_report
    from .settings import absolute

    paths = write_report(absolute(args.warehouse), absolute(args.out), audience=args.audience,
                         rmc_region=args.rmc_region, pilot=args.pilot, pool_cohorts=args.pool_cohorts)
    for kind in ("html", "xlsx"):
        print(paths[kind])
    return 0


def _signal_list(args) -> int:
    from .identity.pseudonyms import PseudonymKey
    from .settings import absolute
    from .signal_list import write_signal_list
    from .warehouse.marker import check

    key = PseudonymKey.from_environment()     # refused like `run`: missing or short key, exit 2
    summary = write_signal_list(check(absolute(args.warehouse)), absolute(args.bsn_list), absolute(args.out), key)
    print("\n".join(summary.lines()))
    return 0


def _status(args) -> int:
    from .reference import current_municipality_map
    from .settings import absolute, resolve_reference_dir
    from .status import read_status, write_status_page
    from .warehouse.marker import check

    warehouse = check(absolute(args.warehouse))
    # mergers: deliveries under a former municipality code count for today's municipality
    mergers = current_municipality_map(absolute(resolve_reference_dir(args.reference)))
    status = read_status(warehouse, mergers, month=args.month)
    print("\n".join(status.lines()))
    print(f"status page: {write_status_page(warehouse, status)}")
    return status.exit_code()


def _catalog(args) -> int:
    from .settings import absolute
    from .warehouse.catalog import write_catalog

    print(write_catalog(absolute(args.warehouse)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="soepel-etl", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="show the full traceback when a run fails")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="load new files from the landing zone, then rebuild core tables and marts")
    run.add_argument("--landing", required=True, help="the landing zone (read only)")
    run.add_argument("--warehouse", required=True, help="the warehouse folder")
    run.add_argument("--reference", help="reference folder (default: $SOEPEL_REFERENCE_DIR, else the shipped one)")
    run.add_argument("--reference-date", help="YYYY-MM-DD; default: the latest delivery date loaded so far")
    run.add_argument("--force", action="store_true",
                     help="rebuild core tables and marts even when nothing they depend on changed")
    run.set_defaults(func=_run)

    sql = sub.add_parser("sql", help="run a query against the warehouse catalog and print the result")
    sql.add_argument("--warehouse", required=True)
    sql.add_argument("--format", choices=("table", "csv"), default="table")
    sql.add_argument("--max-rows", type=int, default=1000)
    sql.add_argument("query", help="SQL over schemas staging, core, marts, meta, e.g. 'SELECT * FROM marts.risk_monitor'")
    sql.set_defaults(func=_sql)

    rep = sub.add_parser("report", help="write the RMC monitoring report: a self-contained HTML page and an .xlsx workbook")
    rep.add_argument("--warehouse", required=True)
    rep.add_argument("--out", required=True, help="folder for the .html and .xlsx")
    rep.add_argument("--audience", choices=("intern", "publiek"), default="intern",
                     help="intern: exact counts, not to leave the organisation; publiek: disclosure control")
    rep.add_argument("--rmc-region", help="only this RMC region (code, e.g. RMC21)")
    rep.add_argument("--pilot", help="only this pilot (code, e.g. AMS)")
    rep.add_argument("--pool-cohorts", type=int, metavar="N",
                     help="publiek only: report cohorts in groups of N consecutive years (e.g. 2018–2019)")
    rep.set_defaults(func=_report)

    sig = sub.add_parser("signal-list", help="answer an RMC's BSN list from the risk monitor (needs the key)")
    sig.add_argument("--warehouse", required=True, help="the warehouse folder (only read)")
    sig.add_argument("--bsn-list", required=True, help="a .csv or .xlsx file with a column 'bsn'")
    sig.add_argument("--out", required=True, help="the answer, in the list's format; created readable by its owner only")
    sig.set_defaults(func=_signal_list)

    st = sub.add_parser("status", help="files, rows, coverage, changed final figures, quality warnings and missing "
                        "senders since the previous build; exit 1 when a person must look")
    st.add_argument("--warehouse", required=True, help="the warehouse folder (only read; status.html is written "
                    "beside the Data Docs)")
    st.add_argument("--reference", help="the reference folder the warehouse was built with, for municipal mergers "
                    "(default: $SOEPEL_REFERENCE_DIR, else the shipped one)")
    st.add_argument("--month", help="YYYY-MM: the month whose deliveries are checked (default: the month of the "
                    "latest delivery loaded)")
    st.set_defaults(func=_status)

    cat = sub.add_parser("catalog", help="(re)write <warehouse>/catalog.duckdb, e.g. after moving the warehouse")
    cat.add_argument("--warehouse", required=True)
    cat.set_defaults(func=_catalog)

    gen = sub.add_parser("generate", help="write a synthetic landing zone")
    gen.add_argument("--out", required=True)
    gen.add_argument("--persons", type=int, default=5000)
    gen.add_argument("--seed", type=int, default=20240401)
    gen.set_defaults(func=_generate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logging.getLogger("soepel_etl").addHandler(handler)
    try:
        return args.func(args)
    except (PseudonymKeyError, ReferenceError, WarehouseBusy, FileNotFoundError, ValueError) as exc:
        print(f"soepel-etl {args.command}: {scrub(str(exc))}", file=sys.stderr)
        return 2
    except Exception as exc:  # the command failed; the message is scrubbed, the warehouse is as it was
        if args.debug:
            raise
        # the whole message: a quality failure lists every check and file on lines of its own
        message = scrub(str(exc))
        if isinstance(exc, OSError) and exc.errno in _DISK_ERRORS or any(p in message for p in _DISK_PHRASES):
            message = f"could not write to disk: {message}"
        state = getattr(exc, "warehouse_state", None)
        print(f"soepel-etl: {args.command} failed ({type(exc).__name__}): {message}" + (f"; {state}" if state else ""),
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
