"""The `flaresim` command: `flaresim dev DIR...`, `flaresim cron URL`, `flaresim ae-sql "SELECT ..."`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sqlite3
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from flaresim.dev_server import DevOptions, serve


def _isolate_counts(values: list[str]) -> tuple[tuple[str, int], ...]:
    counts = []
    for value in values:
        name, sep, count = value.partition("=")
        if not sep or not count.isdigit() or int(count) < 1:
            raise argparse.ArgumentTypeError(f"--isolates expects NAME=COUNT, got {value!r}")
        counts.append((name, int(count)))
    return tuple(counts)


def _run_dev(options: DevOptions) -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        import uvloop

        uvloop.run(serve(options))
    except ImportError:  # pragma: no cover - uvloop is in requirements-dev.txt
        asyncio.run(serve(options))
    except KeyboardInterrupt:
        pass


def _dev(args: argparse.Namespace) -> int:
    options = DevOptions(
        directories=tuple(str(Path(d).resolve()) for d in args.directories),
        host=args.host,
        state_dir=Path(args.state),
        fresh=args.fresh,
        isolates=_isolate_counts(args.isolates),
        crons=not args.no_crons,
        base_port=args.port,
    )
    if args.no_reload:
        _run_dev(options)
        return 0
    import watchfiles

    watched = sorted({str(Path(d).resolve()) for d in args.directories} | {str(Path(p).resolve()) for p in args.watch})
    print(f"flaresim: reloading on changes under {', '.join(watched)}")
    if options.fresh:
        # Wipe once here: the child below restarts on every change and must keep the state.
        _wipe_state(options.state_dir)
        options = DevOptions(**{**options.__dict__, "fresh": False})
    watchfiles.run_process(
        *watched,
        target=_run_dev,
        args=(options,),
        callback=_announce,
        watch_filter=watchfiles.PythonFilter(extra_extensions=(".toml", ".vars")),
    )
    return 0


def _state_dir(default: str | Path) -> Path:
    return Path(os.environ.get("FLARESIM_STATE_DIR") or default)


def _wipe_state(default: Path) -> None:
    import shutil

    state = _state_dir(default)
    if state.exists():
        shutil.rmtree(state)


def _announce(changes: set[tuple[Any, str]]) -> None:
    names = sorted({Path(path).name for _, path in changes})
    print(f"flaresim: change in {', '.join(names[:5])}; restarting", file=sys.stderr)


def _cron(args: argparse.Namespace) -> int:
    query = urllib.parse.urlencode({"cron": args.cron} if args.cron else {})
    url = args.url.rstrip("/") + "/__scheduled" + (f"?{query}" if query else "")
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - a local URL given by the user
            print(response.read().decode())
    except urllib.error.HTTPError as error:
        print(f"flaresim cron: {error.code} {error.read().decode(errors='replace')}", file=sys.stderr)
        return 1
    except urllib.error.URLError as error:
        print(f"flaresim cron: cannot reach {args.url}: {error.reason}", file=sys.stderr)
        return 1
    return 0


def _ae_sql(args: argparse.Namespace) -> int:
    from flaresim.analytics_engine import open_readonly, query

    try:
        connection = open_readonly(_state_dir(args.state))
        rows = query(connection, args.sql)
    except (FileNotFoundError, sqlite3.Error) as error:
        print(f"flaresim ae-sql: {error}", file=sys.stderr)
        return 1
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    print(_text_table(rows))
    return 0


def _text_table(rows: list[dict[str, object]]) -> str:
    if not rows:
        return "(no rows)"
    names = list(rows[0])
    cells = [names] + [["" if row[n] is None else str(row[n]) for n in names] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(names))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="flaresim", description="Run Cloudflare Python Workers locally on CPython.")
    commands = parser.add_subparsers(dest="command", required=True)
    dev = commands.add_parser("dev", help="serve Worker directories on local ports")
    dev.add_argument("directories", nargs="+", help="Worker directories (each with a wrangler.toml)")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8787, help="first port when a Worker sets none (default 8787)")
    dev.add_argument("--state", default=".flaresim", help="state folder (default .flaresim, or $FLARESIM_STATE_DIR)")
    dev.add_argument("--fresh", action="store_true", help="start from empty state")
    dev.add_argument(
        "--isolates",
        action="append",
        default=[],
        metavar="NAME=COUNT",
        help="run a Worker as COUNT isolated copies sharing its bindings",
    )
    dev.add_argument("--no-reload", action="store_true", help="do not restart on code changes")
    dev.add_argument("--no-crons", action="store_true", help="do not fire cron triggers on schedule")
    dev.add_argument("--watch", action="append", default=[], help="extra folders to watch for reload")
    dev.set_defaults(run=_dev)
    cron = commands.add_parser("cron", help="fire a running Worker's scheduled() handler")
    cron.add_argument("url", help="the Worker's local URL, e.g. http://127.0.0.1:8788")
    cron.add_argument("--cron", help="the cron expression to pass (default: the Worker's first)")
    cron.set_defaults(run=_cron)
    ae_sql = commands.add_parser("ae-sql", help="query the local Analytics Engine store with SQL (SQLite dialect)")
    ae_sql.add_argument("sql", help='e.g. "SELECT blob1, SUM(double1) FROM my_dataset GROUP BY blob1"')
    ae_sql.add_argument("--state", default=".flaresim", help="state folder (default .flaresim, or $FLARESIM_STATE_DIR)")
    ae_sql.add_argument("--json", action="store_true", help="print one JSON object per row")
    ae_sql.set_defaults(run=_ae_sql)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
