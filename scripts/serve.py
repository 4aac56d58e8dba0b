"""Run N daphne workers behind one address (nginx): the scale-out setup.

    REDIS_URL=redis://127.0.0.1:6379/0 DATABASE_URL=postgres://user@127.0.0.1/workshop \\
        .venv/bin/python scripts/serve.py --workers 2 --port 8000

Starts N daphne workers on loopback ports next to --port, and nginx on --port in front of
them (configuration: deploy/nginx.conf), all in the foreground. Workers share state through
PostgreSQL and live messages through Redis. A worker that dies is restarted after a second;
its phones reconnect by themselves (nginx sends them to a live worker) and are sent the
current state. Ctrl-C or SIGTERM stops everything.

Refuses several workers without REDIS_URL: each would have its own in-memory channel
layer, and a surface on one worker would not see a change made on another.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# daphne refuses a WebSocket its application has not accepted within 5 s by default. When a
# whole room reconnects at once (a worker or Redis restarted), most handshakes wait longer
# than that in the worker's queue, are refused after the work is done, and the phones try
# again: 5,000 phones on one restarted worker were not all back after 240 s; with 120 s, all
# were back in 66 s (docs/performance.md, "A worker killed under a full room"). make run too.
CONNECT_TIMEOUT = 120


def daphne_command(port: int, *extra: str) -> list[str]:
    """One daphne worker on loopback, as serve.py, the scale-out tests and the bench start
    it (`extra`: more daphne options; a later one wins)."""
    return [
        sys.executable, "-m", "daphne", "--proxy-headers", "-b", "127.0.0.1", "-p", str(port),
        "--websocket_connect_timeout", str(CONNECT_TIMEOUT), *extra, "workshop.asgi:application",
    ]  # fmt: skip


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if not found:
        sys.exit("nginx is needed in front of the workers: apt-get install nginx-light")
    return found


def static_files_problem(static_root: Path) -> str | None:
    """Why nginx could not serve the static files from `static_root`, or None.

    nginx serves /static/ itself (deploy/nginx.conf). Started as root, its workers run as
    `nobody`, so every directory down to the files must be open to others as well."""
    if not (static_root / "js" / "live.js").is_file():
        return (
            f"No static files in {static_root}: run `manage.py collectstatic --noinput` with "
            "the same environment first (DJANGO_STATIC_ROOT or WORKSHOP_VAR_DIR choose where)."
        )
    runuser = shutil.which("runuser")
    if os.geteuid() == 0 and runuser:
        check = [runuser, "-u", "nobody", "--", "test", "-r", str(static_root / "js" / "live.js")]
        if subprocess.run(check, capture_output=True).returncode != 0:
            return (
                f"nginx's workers run as `nobody` and cannot read {static_root}: make it and "
                "the directories above it readable by others (chmod o+rx), or set "
                "DJANGO_STATIC_ROOT to such a place and run collectstatic again."
            )
    return None


def port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Twisted and nginx do
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def listening(port: int) -> bool:
    """Whether something accepts connections on `port` on loopback."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def worker_pid(port: int) -> int:
    """The daphne worker on `port` that serve.py (or anything using daphne_command) started,
    found in /proc by its command line. For tests and benchmarks that kill one."""
    wanted = daphne_command(port)[1:]  # the interpreter's path may differ in form
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().decode().split("\0")
        except OSError:
            continue
        if args[1 : 1 + len(wanted)] == wanted:
            return int(cmdline.parent.name)
    raise LookupError(f"no daphne worker on port {port}")


def sockets_on(port: int) -> int:
    """Established TCP connections whose server end is `port` on loopback (behind nginx:
    nginx's connections to that worker, one per socket)."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(
        1 for fields in (line.split() for line in lines)
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01"
    )  # fmt: skip


def wait_until_listening(ports: list[int], workers: dict, stopping, timeout: float = 60) -> str:
    """nginx starts once every worker accepts connections, so no phone meets a 502.
    Returns why not, or "" once all listen."""
    deadline = time.monotonic() + timeout
    for port in ports:
        while not listening(port):
            if workers[port].poll() is not None:
                return f"the worker on port {port} exited while starting"
            if time.monotonic() > deadline:
                return f"the worker on port {port} did not listen within {timeout:.0f} s"
            if stopping():
                return "stopped while the workers were starting"
            time.sleep(0.1)
    return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, help="how many daphne workers (default 2)")
    parser.add_argument(
        "--worker-ports", help="comma-separated ports for the workers (default: port+1...)"
    )
    args = parser.parse_args()

    listed = [int(p) for p in args.worker_ports.split(",")] if args.worker_ports else None
    if listed and args.workers and len(listed) != args.workers:
        print(f"--workers {args.workers} but {len(listed)} --worker-ports: give as many "
              "ports as workers, or only one of the two.", file=sys.stderr)  # fmt: skip
        return 2
    workers = len(listed) if listed else args.workers or 2
    ports = listed or [args.port + 1 + i for i in range(workers)]
    if workers > 1 and not os.environ.get("REDIS_URL"):
        print(
            "Several workers need a shared channel layer: set REDIS_URL "
            "(e.g. redis://127.0.0.1:6379/0), and DATABASE_URL for PostgreSQL.",
            file=sys.stderr,
        )
        return 2
    taken = [
        f"{host}:{port}"
        for host, port in [(args.host, args.port), *(("127.0.0.1", p) for p in ports)]
        if not port_free(host, port)
    ]
    if taken:
        print(f"In use already: {', '.join(taken)}. Stop what listens there or choose "
              "other ports (--port, --worker-ports).", file=sys.stderr)  # fmt: skip
        return 2
    static_root = Path(
        os.environ.get("DJANGO_STATIC_ROOT")
        or Path(os.environ.get("WORKSHOP_VAR_DIR", ROOT / "var")) / "static"
    )
    nginx_path = nginx_binary()  # before any worker starts, so a refusal leaves none behind
    problem = static_files_problem(static_root)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    prefix = Path(tempfile.mkdtemp(prefix="workshop-live-nginx-"))
    (prefix / "nginx.conf").write_text(
        (ROOT / "deploy" / "nginx.conf")
        .read_text()
        .format(
            listen=f"{args.host}:{args.port}",
            # max_fails=0: nginx never marks a worker down. A connection to a dead worker
            # is refused at once on loopback and goes to the next (proxy_next_upstream).
            # Marked down, a restarted worker would get one new connection per fail_timeout
            # until a connection to it ends without error, and a socket may last all day:
            # phones sent back to it to even out the load went to the others instead.
            upstreams="\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in ports),
            prefix=prefix,
            static_root=static_root,
        )
    )

    # nginx's least_conn gives a reconnect to the least loaded worker, so the workers may
    # even out their phones after one restarts (workshop/live/balance.py).
    worker_env = {**os.environ, "WORKSHOP_REBALANCE": os.environ.get("WORKSHOP_REBALANCE", "1")}

    def start_worker(port: int) -> subprocess.Popen:
        return subprocess.Popen(daphne_command(port), cwd=ROOT, env=worker_env)

    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    workers: dict[int, subprocess.Popen] = {}
    nginx = None
    try:  # whatever happens from here on, nothing this script started is left running
        workers.update({port: start_worker(port) for port in ports})
        failed = wait_until_listening(ports, workers, lambda: stopping)
        if failed:
            print(failed, file=sys.stderr, flush=True)
            return 1
        nginx = subprocess.Popen(
            [nginx_path, "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
             "-g", "daemon off;"],
        )  # fmt: skip
        print(
            f"==> nginx on http://{args.host}:{args.port} in front of {len(ports)} daphne "
            f"workers on ports {', '.join(map(str, ports))}",
            flush=True,
        )
        while not stopping:
            if nginx.poll() is not None:
                print("==> nginx exited; stopping", file=sys.stderr, flush=True)
                return 1
            for port, proc in list(workers.items()):
                if proc.poll() is not None:
                    print(
                        f"==> worker on {port} exited ({proc.returncode}); restarting", flush=True
                    )
                    time.sleep(1)
                    workers[port] = start_worker(port)
            time.sleep(0.2)
    finally:
        started = [p for p in (nginx, *workers.values()) if p is not None]
        for proc in started:
            if proc.poll() is None:
                proc.terminate()
        for proc in started:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(prefix, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
