"""The bench's command line: `python scripts/bench [options]` (make bench) runs the modes;
`python scripts/bench compare BEFORE AFTER` and `python scripts/bench rebalance [options]`
run the other two commands. Options are the modes' (--help); the hidden ones are how a
parent process hands a mode to a child (modes.run_child)."""

import sys
from pathlib import Path

if not __package__:
    # Run as `python scripts/bench`: Python put scripts/bench/ first on the path, where
    # modules named like this package's (config, app, services) would shadow others. The
    # package is imported from scripts/ instead, next to serve.py, which it uses.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import json
import os
import shutil
import signal
import tempfile

import bench
from bench import compare, rebalance, report
from bench.config import DEFAULT_PHONES, DOORS_SCALEOUT, MODES, SCALEOUT
from bench.doors import IN_FLIGHT
from bench.doors_scaleout import doors_scaleout_all, run_doors_scaleout
from bench.modes import run_child, run_mode
from bench.processes import raise_nofile
from bench.scaleout import run_scaleout, scaleout_all

COMMANDS = {"compare": compare.main, "rebalance": rebalance.main}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:])
    parser = argparse.ArgumentParser(prog="bench", description=bench.__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=(*MODES, SCALEOUT, DOORS_SCALEOUT, "all"), default="all")
    parser.add_argument(
        "--phones", type=int, help="phones per mode (default: burst 1000, paced 1000, "
        "connections 5000, doors 1000, scaleout and doors-scaleout 5000 per measurement)"
    )  # fmt: skip
    parser.add_argument(
        "--in-flight", type=int, default=IN_FLIGHT,
        help=f"doors: phones doing requests at once (default {IN_FLIGHT})",
    )  # fmt: skip
    parser.add_argument(
        "--phones-per-address", type=int, default=1,
        help="doors: phones sharing one loopback source address (default 1: one each)",
    )  # fmt: skip
    parser.add_argument("--rate", type=float, default=500.0, help="ballots/s in paced mode")
    parser.add_argument(
        "--voters", type=int, help="scaleout: how many of the phones vote (default: all)"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="scaleout: 1-then-2-worker rounds (default 1)"
    )
    parser.add_argument(
        "--pin", choices=("workers", "none"), default="workers",
        help="scaleout: worker i on CPU i mod 2, the rest unpinned (default); or no pinning",
    )  # fmt: skip
    parser.add_argument(
        "--with-embedded", action="store_true",
        help="scaleout: also measure the embedded default (burst) as a baseline",
    )  # fmt: skip
    parser.add_argument(
        "--redis-restart", action="store_true",
        help="scaleout: after the pushes, restart Redis and time every phone coming back",
    )  # fmt: skip
    parser.add_argument(
        "--kill-worker", action="store_true",
        help="scaleout: after the pushes, a second burst in which the last worker is killed "
        "and restarted; checks every ballot is stored exactly once",
    )  # fmt: skip
    parser.add_argument("--json-out", type=Path, help="also write the JSON here")
    parser.add_argument("--child-json", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--services", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    raise_nofile()
    # A SIGTERM (from `all`'s watchdog or the user) unwinds through finally: the server stops.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    if args.child_json:
        phones = args.phones or DEFAULT_PHONES[args.mode]
        if args.mode == DOORS_SCALEOUT:
            result = run_doors_scaleout(
                args.workers, phones, args.services, args.in_flight, args.phones_per_address
            )
        elif args.mode == SCALEOUT:
            result = run_scaleout(
                args.workers,
                phones,
                args.voters,
                args.services,
                args.pin,
                args.redis_restart,
                args.kill_worker,
            )
        else:
            result = run_mode(args.mode, phones, args.rate, args.in_flight, args.phones_per_address)
        args.child_json.write_text(json.dumps(result))
        return 0

    modes = MODES if args.mode == "all" else (args.mode,)
    static = None
    if "DJANGO_STATIC_ROOT" not in os.environ:
        static = tempfile.mkdtemp(prefix="wl-bench-static-")
        os.environ["DJANGO_STATIC_ROOT"] = static
    results = {}
    try:
        for mode in modes:
            print(f"==> {mode} ...", file=sys.stderr, flush=True)
            if mode == SCALEOUT:
                results[mode] = scaleout_all(args)
            elif mode == DOORS_SCALEOUT:
                results[mode] = doors_scaleout_all(args)
            elif len(modes) == 1:
                phones = args.phones or DEFAULT_PHONES[mode]
                results[mode] = run_mode(
                    mode, phones, args.rate, args.in_flight, args.phones_per_address
                )
            else:
                results[mode] = run_child(mode, args)
    finally:
        if static:
            shutil.rmtree(static, ignore_errors=True)
    report.publish(results, modes, args.json_out)
    failed = any(r.get("error") for r in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
