"""`python -m reliability`: dagport replicas behind nginx under load and faults; see docs/reliability.md."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from reliability.cluster import MissingBinary
from reliability.run import PHASES, Options, run
from reliability.stack import NGINX_CONF


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reliability", description=__doc__)
    parser.add_argument("--short", action="store_true", help="small counts (what CI runs, under a minute)")
    parser.add_argument("--soak", type=float, default=0, metavar="SECONDS", help="then soak this long (600)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every figure and check here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs) after a pass")
    parser.add_argument(
        "--nginx-conf",
        type=Path,
        default=NGINX_CONF,
        metavar="PATH",
        help="the nginx configuration to run (default deploy/nginx.conf)",
    )
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        metavar="LIST",
        help=f"comma-separated phases to run, in this order (default {','.join(PHASES)})",
    )
    args = parser.parse_args(argv)
    phases = tuple(p for p in args.phases.split(",") if p)
    unknown = [p for p in phases if p not in PHASES]
    if unknown:
        parser.error(f"unknown phase(s): {', '.join(unknown)}")
    options = Options(
        phases=phases, short=args.short, soak_seconds=args.soak, keep=args.keep, nginx_conf=args.nginx_conf
    )
    try:
        report = asyncio.run(run(options, progress=lambda line: print(line, file=sys.stderr, flush=True)))
    except MissingBinary as exc:
        print(f"reliability: {exc}", file=sys.stderr)
        return 2
    print(report.text())
    if args.json:
        args.json.write_text(json.dumps(report.to_json(), indent=2, default=str))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
