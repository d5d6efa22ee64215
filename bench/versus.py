"""`bench/run.py --versus REV`: every Roster target gets a twin running REV's code, and
the two are measured side by side in the same run.

    .venv/bin/python bench/run.py --versus 0e7638a --rounds 4 --seconds 5 \\
        --only roster-sqlite-1w,roster-postgresql-1w \\
        --skip-scale --skip-group-scale --skip-profile

- REV is checked out into a throw-away git worktree (`git worktree add --detach`, under
  /tmp, removed afterwards).
- A twin is its target's `roster serve` command and environment (what `make run` runs)
  with PYTHONPATH=<worktree>/src, so REV's roster package is imported instead of this
  checkout's. Each twin has its own database (a second SQLite file, a second PostgreSQL
  database), seeded the same way as its target's.
- The schema upgrade and the company and token run in-process with this checkout's
  code (the people and groups are created over each server's own SCIM). That builds
  the database REV's code would have built only if REV's migrations are this
  checkout's, file for file: `check_migrations` stops the run otherwise.
- Proof that each server runs the code it should (kept in versus.json and versus.md):
  `import roster.cli` under the server's exact environment; PYTHONPATH as each of the
  server's processes sees it; and the source files of the Roster frames py-spy samples
  from every process of the server (workers included) while it serves a short GET load.
- PostgreSQL connections: each worker opens up to 1.5 times ROSTER_DATABASE_POOL_SIZE (20
  by default), so a 2-worker pair can hold 60. On a PostgreSQL shared with other work,
  give the run a smaller ROSTER_DATABASE_POOL_SIZE: both sides get it, versus.md says so.
- One pair (a target and its twin) at a time: within each operation old and new run
  alternately, round after round in the order A B, B A, A B, ... (`--rounds`), so
  noise on the shared machine hits both alike; versus_report.py takes the medians and
  writes bench/results/versus.md.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import systems
import versus_report
from common import BIN, RAW, ROOT, log, tree

MIGRATIONS = Path("src") / "roster" / "store" / "migrations"


@dataclass
class Checkout:
    """REV, checked out into its own worktree."""

    rev: str
    sha: str
    short: str
    subject: str
    path: Path

    @property
    def src(self) -> Path:
        return self.path / "src"

    @property
    def suffix(self) -> str:
        """What a twin's name ends with: roster-sqlite-1w@0e7638a."""
        return f"@{self.short}"


def git(*args: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def commit_info(rev: str) -> dict[str, str]:
    sha = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    return {
        "rev": rev,
        "sha": sha,
        "short": git("rev-parse", "--short", sha),
        "subject": git("log", "-1", "--format=%s", sha),
    }


@contextmanager
def checkout(rev: str) -> Iterator[Checkout]:
    info = commit_info(rev)
    parent = Path(tempfile.mkdtemp(prefix=f"roster-versus-{info['short']}-"))
    path = parent / "checkout"
    log(f"versus: checking out {rev} ({info['sha']}) into {path}")
    git("worktree", "add", "--detach", "--quiet", str(path), info["sha"])
    try:
        yield Checkout(info["rev"], info["sha"], info["short"], info["subject"], path.resolve())
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(parent, ignore_errors=True)
        git("worktree", "prune")
        log(f"versus: removed the worktree {path}")


def digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def check_migrations(old: Checkout) -> None:
    """The twins' databases are upgraded and seeded by this checkout's code (see the
    module docstring). Stop unless REV's migrations are this checkout's, byte for byte."""
    mine, theirs = digest(ROOT / MIGRATIONS), digest(old.path / MIGRATIONS)
    differ = sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))
    if not mine or differ:
        raise SystemExit(
            f"--versus {old.rev}: {MIGRATIONS} differs between {old.short} and this checkout "
            f"({', '.join(differ) or 'no migrations found'}). The twins' databases are "
            "upgraded and seeded with this checkout's code, which is only right when the "
            "migrations are the same; seed them with the old code's own helpers instead."
        )
    log(f"versus: {MIGRATIONS} is identical in {old.short} and here ({len(mine)} files)")


# --- which code a server runs -------------------------------------------------------


def import_check(env: dict[str, str], expected: Path) -> str:
    """Where `import roster.cli` (what the roster script imports) resolves under `env`."""
    out = subprocess.run(
        [str(BIN / "python"), "-c", "import roster.cli; print(roster.cli.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(out).resolve().is_relative_to(expected):
        raise SystemExit(f"versus: roster.cli imports from {out}, not from {expected}")
    return out


def src_root(frame: str) -> str | None:
    """The src/ directory of a Roster frame's file ("fn (/x/src/roster/y.py:12)")."""
    where = frame[frame.rfind("(") + 1 :]
    cut = where.find("/src/roster/")
    return where[: cut + len("/src")] if cut >= 0 else None


def running_check(
    target: systems.Target, expected: Path, load: Callable[[], Any]
) -> dict[str, Any]:
    """Which checkout each of the server's processes really runs: their PYTHONPATH, and
    the source files of the Roster frames py-spy samples while `load` runs."""
    pid = target.server.pid
    pythonpath: dict[str, str] = {}
    for p in tree(psutil.Process(pid)):
        try:
            pythonpath[str(p.pid)] = p.environ().get("PYTHONPATH", "")
        except psutil.Error:
            continue
    raw = RAW / f"proof-{target.name}.txt"
    raw.unlink(missing_ok=True)
    argv = [str(BIN / "py-spy"), "record", "--subprocesses", "--full-filenames", "-r", "100"]
    argv += ["-d", "3", "-f", "raw", "-o", str(raw), "-p", str(pid)]
    spy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    load()
    spy.wait(timeout=60)
    roots: collections.Counter[str] = collections.Counter()
    files: dict[str, set[str]] = collections.defaultdict(set)
    processes: collections.Counter[str] = collections.Counter()  # pid -> samples in Roster
    for line in raw.read_text().splitlines() if raw.exists() else []:
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        seen = {r: f for f in frames if (r := src_root(f))}
        for root, frame in seen.items():
            roots[root] += int(count)
            files[root].add(frame[frame.rfind("(") + 1 :].split(":")[0])
        # With --subprocesses each stack starts with its process and the process's
        # ancestors ("process PID:\"argv\""), outermost first.
        owner = [f for f in frames if f.startswith("process ")]
        if seen and owner:
            processes[owner[-1].split(":")[0].removeprefix("process ")] += int(count)
    found = {
        "pythonpath_by_pid": pythonpath,
        "sampled_roster_frames_by_src": dict(roots),
        "sampled_roster_files_by_src": {r: len(f) for r, f in files.items()},
        "roster_samples_by_pid": dict(processes),
        "expected_src": str(expected),
    }
    if set(roots) != {str(expected)}:
        raise SystemExit(f"versus: {target.name} runs {dict(roots)}, expected {expected}")
    return found


def prove(target: systems.Target, expected: Path, load: Callable[[], Any]) -> dict[str, Any]:
    proof: dict[str, Any] = {"import": import_check(target.server.env, expected)}
    proof.update(running_check(target, expected, load))
    log(
        f"  {target.name}: roster.cli from {proof['import']}; PYTHONPATH "
        f"{sorted(set(proof['pythonpath_by_pid'].values()))}; py-spy roster frames by src "
        f"{proof['sampled_roster_frames_by_src']}, samples by pid {proof['roster_samples_by_pid']}"
    )
    return proof


# --- measuring ----------------------------------------------------------------------


def order(round_: int) -> tuple[str, str]:
    """A B, B A, A B, ...: each side goes first in every other round."""
    return ("old", "new") if round_ % 2 == 0 else ("new", "old")


def run_pair(
    starts: dict[str, Callable[[], systems.Target]],
    old: Checkout,
    results: dict[str, Any],
    measure: Callable[[systems.Target, str], dict[str, Any]],
    warm: Callable[[systems.Target], None],
) -> None:
    """One Roster target ("new") and its twin ("old"), with no other Roster server up:
    start and seed both, prove which code each runs, warm up, then every operation
    `rounds` times on each side, alternating. (All four pairs at once would hold more
    PostgreSQL connections than max_connections allows: up to 15 per worker.)"""
    v = results["versus"]
    pair: dict[str, systems.Target] = {}
    try:
        for side in ("new", "old"):
            pair[side] = starts[side]()
        name = pair["new"].name
        v["pairs"][name] = pair["old"].name
        log(f"versus: {name} against {pair['old'].name}; which code each runs")
        for side in ("old", "new"):
            t = pair[side]
            src = old.src if side == "old" else ROOT / "src"
            v["proof"][t.name] = prove(t, src, functools.partial(warm, t))
        for t in pair.values():
            warm(t)
        results["systems"][name] = systems.describe(pair["new"])
        results["matrix"][name] = {}
        for op, title in results["ops"].items():
            log(f"{name} {op}: {title}")
            runs: dict[str, list[dict[str, Any]]] = {"old": [], "new": []}
            for r in range(v["rounds"]):
                for side in order(r):
                    result = measure(pair[side], op)
                    if not result.get("stderr"):
                        result.pop("stderr", None)
                    result["round"] = r
                    result["load_average"] = os.getloadavg()[0]
                    runs[side].append(result)
            v["runs"].setdefault(name, {})[op] = runs
            by_rps = sorted(runs["new"], key=lambda r: r["rps"])
            results["matrix"][name][op] = by_rps[len(by_rps) // 2]  # the median run
            save(results)  # so far: a run that fails later keeps what it measured
        results["systems"][name]["idle_rss_mb"] = pair["new"].server.rss_mb()
    finally:
        for t in pair.values():
            t.stop()


def begin(old: Checkout, rounds: int) -> dict[str, Any]:
    head = commit_info("HEAD")
    return {
        "command": " ".join(["bench/run.py", *sys.argv[1:]]),
        "started_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "old": {"rev": old.rev, "sha": old.sha, "short": old.short, "subject": old.subject},
        "new": {
            **head,
            "src_commit": git("log", "-1", "--format=%H", "--", "src"),
            "src_subject": git("log", "-1", "--format=%s", "--", "src"),
            "dirty_src": bool(git("status", "--porcelain", "--", "src")),
        },
        "rounds": rounds,
        # Settings given to both sides through the environment (e.g. a smaller
        # ROSTER_DATABASE_POOL_SIZE, to hold fewer PostgreSQL connections).
        "environment": {k: v for k, v in os.environ.items() if k.startswith("ROSTER_")},
        "load_average_at_start": list(os.getloadavg()),
        "pairs": {},
        "proof": {},
        "runs": {},
    }


# What versus.json keeps of each wrk run (the rest is in the log).
KEPT = (
    "requests", "rps", "ok", "status_errors", "timeouts", "read_errors", "p50_us", "p99_us",
    "server_cpu_ms", "db_cpu_ms", "xacts_per_request", "round", "load_average", "stderr",
)  # fmt: skip


def save(results: dict[str, Any]) -> Path:
    """bench/results/raw/versus.json (this run's versus results) and versus.md."""
    v = results["versus"]
    v["load_average_at_end"] = list(os.getloadavg())
    runs = {
        name: {
            op: {side: [{k: r[k] for k in KEPT if k in r} for r in rs] for side, rs in s.items()}
            for op, s in ops.items()
        }
        for name, ops in v["runs"].items()
    }
    keep: dict[str, Any] = {
        k: results[k] for k in ("config", "machine", "ops", "elapsed_s") if k in results
    }
    keep["versus"] = {**v, "runs": runs}
    (RAW / "versus.json").write_text(json.dumps(keep, indent=1) + "\n")
    return versus_report.write([keep])


def finish(results: dict[str, Any]) -> None:
    path = save(results)
    for line in versus_report.flagged(results):
        log(f"  versus: {line}")
    log(f"versus: {path.relative_to(ROOT)}")
