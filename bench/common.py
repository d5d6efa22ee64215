"""Shared by the benchmark scripts: servers as child processes, their CPU and memory,
the wrk load generator, throw-away PostgreSQL databases. Loopback only."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = ROOT / ".venv" / "bin"
PEERS = BENCH / ".peers"
RAW = BENCH / "results" / "raw"
LUA = BENCH / "okta.lua"
PG_ADMIN = os.environ.get(
    "ROSTER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- PostgreSQL --------------------------------------------------------------------


def pg_url(dbname: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + dbname


# PostgreSQL refusing a new connection because every slot is taken: on a shared machine
# other work (test suites) may hold them for a while, so the bench waits and retries.
FULL = ("too many clients", "remaining connection slots are reserved")


def psql(sql: str, db: str = "postgres", *, patience: float = 120) -> str:
    deadline = time.monotonic() + patience
    while True:
        out = subprocess.run(
            ["psql", pg_url(db), "-qtAX", "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode == 0:
            return out.stdout.strip()
        if not any(f in out.stderr for f in FULL) or time.monotonic() > deadline:
            raise subprocess.CalledProcessError(out.returncode, out.args, out.stdout, out.stderr)
        time.sleep(0.5)


def create_database(prefix: str) -> str:
    name = f"{prefix}_{secrets.token_hex(4)}"
    psql(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str) -> None:
    subprocess.run(
        [
            "psql",
            pg_url("postgres"),
            "-qtAX",
            "-c",
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        ],
        capture_output=True,
        check=False,
    )


def pg_backends(dbname: str) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend connected to one database."""
    pids = psql(f"SELECT pid FROM pg_stat_activity WHERE datname = '{dbname}'")
    out: dict[int, float] = {}
    for pid in pids.split():
        try:
            t = psutil.Process(int(pid)).cpu_times()
            out[int(pid)] = t.user + t.system
        except (psutil.Error, ValueError):
            continue
    return out


def pg_cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """Backends that were there before count their growth, new ones all their CPU;
    backends that exited meanwhile are lost (so this is a lower bound)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def pg_counters(dbname: str) -> tuple[int, int]:
    """(transactions, sessions opened) so far in one database."""
    row = psql(
        "SELECT xact_commit + xact_rollback, sessions FROM pg_stat_database "
        f"WHERE datname = '{dbname}'"
    )
    xacts, sessions = row.split("|")
    return int(xacts), int(sessions)


# --- servers -----------------------------------------------------------------------


def tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return []


@dataclass
class Server:
    """A server process (and its workers) that this run started."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    cwd: Path | None = None
    health: str = "/"
    popen: subprocess.Popen[bytes] | None = None
    # CPU of workers that exited meanwhile is lost; we only sample live trees.
    rss_samples: list[float] = field(default_factory=list)

    def start(self, timeout: float = 180) -> Server:
        RAW.mkdir(parents=True, exist_ok=True)
        logfile = (RAW / f"server-{self.name}.log").open("wb")
        self.popen = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}{self.health}"
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {logfile.name}")
            try:
                httpx.get(url, timeout=2)
                return self
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer on {url}; see {logfile.name}")

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def cpu(self) -> float:
        total = 0.0
        for p in tree(psutil.Process(self.pid)):
            try:
                t = p.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
            except psutil.Error:
                continue
        return total

    def rss_mb(self) -> float:
        total = 0
        for p in tree(psutil.Process(self.pid)):
            try:
                total += p.memory_info().rss
            except psutil.Error:
                continue
        return total / 1e6

    def worker_pids(self) -> list[int]:
        return [p.pid for p in tree(psutil.Process(self.pid))]

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


class RssSampler:
    """Samples a server's resident memory (all its processes) every `interval` s."""

    def __init__(self, server: Server, interval: float = 0.1) -> None:
        self.server = server
        self.interval = interval
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self.server.rss_mb())
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- load --------------------------------------------------------------------------


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (make bench does this)")
    return path


def run_wrk(
    url: str,
    op: str,
    datafile: Path,
    *,
    connections: int,
    seconds: float,
    max_requests: int,
    tag: str,
    style: str = "okta",
    threads: int = 1,
) -> dict[str, Any]:
    """One bounded wrk run of one operation; returns wrk's summary plus its own CPU."""
    assert url.startswith("http://127.0.0.1:"), "loopback only"
    argv = [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "60s",
        "-s",
        str(LUA),
        url,
        "--",
        op,
        str(datafile),
        str(max(1, max_requests // threads)),
        tag,
        style,
    ]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    elapsed = time.perf_counter() - started
    line = next((ln for ln in out.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {out}\n{err}")
    result: dict[str, Any] = json.loads(line[len("RESULT ") :])
    result["wall_s"] = elapsed
    result["wrk_cpu_s"] = usage.ru_utime + usage.ru_stime
    result["stderr"] = err.strip()[:600]
    seconds_run = result["duration_us"] / 1e6
    result["rps"] = result["requests"] / seconds_run if seconds_run else 0.0
    result["ok"] = result["requests"] - result["status_errors"]
    return result
