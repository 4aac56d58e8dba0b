"""The processes of a measurement: the daphne server, CPU pinning and the open-file limit,
and what /proc says about memory and CPU (of a process, a process tree, the whole machine).

Figures come from /proc, not from the processes themselves: reading them costs the measured
server nothing."""

import contextlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import serve
from .config import RESULTS, ROOT

NOFILE = 65536


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = NOFILE if hard == resource.RLIM_INFINITY else min(NOFILE, hard)
    if os.geteuid() == 0 and hard != resource.RLIM_INFINITY and hard < NOFILE:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))
            return NOFILE
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def can_pin() -> bool:
    return bool(shutil.which("taskset")) and len(os.sched_getaffinity(0)) >= 2


PINNED = can_pin()  # decided before this process pins itself


def pin_client() -> bool:
    if not can_pin():
        return False
    os.sched_setaffinity(0, {1})
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a process, in MB (empty if it is gone)."""
    found = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = round(int(value.split()[0]) / 1024, 1)
    return found


def proc_threads_files(pid: int) -> dict[str, int]:
    """Threads and open file descriptors of a process (sockets, database files and
    connections): what a server keeps after a crowd of requests."""
    found = {}
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Threads:"):
                found["threads"] = int(line.split()[1])
        targets = []
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                targets.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        found["open_files"] = len(targets)
        found["open_sockets"] = sum(t.startswith("socket:") for t in targets)
    return found


def proc_cpu_seconds(pid: int) -> float:
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all CPUs, all processes), from /proc/stat."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle, iowait
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    return 0.0


def machine_steal_seconds() -> float:
    """CPU seconds the hypervisor gave to other guests while this one wanted to run (steal).
    It counts as busy in machine_busy_seconds; the bench reports it to tell a slow spell of
    the host from a slow app."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    return 0.0


def busy_neighbours(exclude: set[int]) -> list[str]:
    """Other processes using CPU right now (the bench shares the machine; they skew figures)."""

    def ticks() -> dict[int, tuple[int, str]]:
        found = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                head, tail = stat.read_text().rsplit(")", 1)
                fields = tail.split()
                found[int(stat.parent.name)] = (
                    int(fields[11]) + int(fields[12]),
                    head[head.find("(") + 1 :],
                )
        return found

    before = ticks()
    time.sleep(0.5)
    after = ticks()
    busy = []
    for pid, (t, name) in after.items():
        used = (t - before.get(pid, (t, name))[0]) / os.sysconf("SC_CLK_TCK") / 0.5
        if pid not in exclude and used >= 0.1:
            busy.append(f"{name} (pid {pid}): {used:.0%} of a CPU")
    return busy


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its children (PostgreSQL: the postmaster and backends)."""
    total = proc_cpu_seconds(pid)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                total += proc_cpu_seconds(int(stat.parent.name))
    return total


DAPHNE_ARGS = os.environ.get("BENCH_DAPHNE_ARGS", "").split()


class Server:
    """daphne as `make run` starts it, on the given CPUs, with a raised open-file limit.
    BENCH_DAPHNE_ARGS adds daphne options (a later one wins: `--websocket_connect_timeout 5`
    measures daphne's default)."""

    def __init__(self, env: dict, var: Path, cpus: str | None, name: str = "daphne"):
        self.env, self.log_path, self.cpus = env, var / f"{name}.log", cpus
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        pin = ["taskset", "-c", self.cpus] if self.cpus else []
        command = [
            "bash", "-c", f'ulimit -n {NOFILE} 2>/dev/null || ulimit -n hard; exec "$@"', "bash",
            *pin, *serve.daphne_command(self.port, *DAPHNE_ARGS),
        ]  # fmt: skip
        with self.log_path.open("a") as log:  # a restart (worker-kill run) keeps the first log
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2).read()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("daphne did not start:\n" + self.log_text()) from None
                time.sleep(0.1)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def memory(self) -> dict[str, float]:
        return proc_status(self.pid)

    def nofile(self) -> int | None:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.pid}/limits").read_text().splitlines():
                if line.startswith("Max open files"):
                    return int(line.split()[3])
        return None

    def profile_start(self, mode: str) -> tuple | None:
        """With BENCH_PY_SPY=<py-spy executable>: sample the server (collapsed stacks).
        BENCH_PY_SPY_RATE: samples a second (250); BENCH_PY_SPY_ARGS: more py-spy options."""
        spy = os.environ.get("BENCH_PY_SPY")
        if not spy:
            return None
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = RESULTS / f"profile-{mode}-{stamp}.txt"
        rate = os.environ.get("BENCH_PY_SPY_RATE", "250")
        proc = subprocess.Popen(
            [spy, "record", "--pid", str(self.pid), "--rate", rate, "--format", "raw",
             "--threads", "--output", str(out),
             *os.environ.get("BENCH_PY_SPY_ARGS", "").split()],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        return proc, out

    def profile_stop(self, spy: tuple | None) -> str | None:
        if spy is None:
            return None
        proc, out = spy
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        return str(out.relative_to(ROOT)) if out.exists() else f"py-spy failed ({proc.returncode})"

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: no chance to tidy up."""
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def tracebacks(self) -> dict:
        text = self.log_text()
        count = text.count("Traceback")
        first = text[text.find("Traceback") :][:1500] if count else ""
        return {"tracebacks": count, "first_traceback": first}


def pid_from(path: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(path.read_text().split()[0])
    return None


def child_pids(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(stat.parent.name))
    return found


def servers_cpu(servers: list[Server]) -> float:
    return sum(proc_cpu_seconds(s.pid) for s in servers)


def rss_total(servers: list[Server], key: str = "VmRSS") -> float | None:
    """Memory of the workers, summed (one worker: its own figure), in MB."""
    found = [s.memory().get(key) for s in servers]
    return round(sum(found), 1) if found and None not in found else None
