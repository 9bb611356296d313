"""What the benchmarks that run servers share: a free port on loopback, a server process with
its output in a log file, and waiting until it listens."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The shipped worker's pool (docker-compose.yml, README "Celery queues"): four processes, so that
# while one waits for PostgreSQL (some 40 round trips and a commit per purchase) the others use
# the two cores; with two, a launch burst's webhooks queued up behind those waits.
WORKER_POOL = "prefork"
WORKER_CONCURRENCY = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], port: int, log_path: Path) -> subprocess.Popen:
    """Start a server process for ``SITE_URL`` on ``port``; its output goes to ``log_path``."""
    env = {**os.environ, "SITE_URL": f"http://127.0.0.1:{port}"}
    log = Path(log_path).open("wb")  # noqa: SIM115 - closed when the process ends
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not open port {port}")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone, or not Linux
        return None
    return text[
        text.rindex(")") + 2 :
    ].split()  # fields from the state on (the name may hold spaces)


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants now alive (Linux ``/proc``; only ``root`` elsewhere)."""
    parents = {}
    for entry in Path("/proc").glob("[0-9]*"):
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            parents[int(entry.name)] = int(fields[1])
    tree, added = {root}, True
    while added:
        children = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= children
        added = bool(children)
    return sorted(tree)


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system, with waited-for children) of each process still alive."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    spent = {}
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:  # utime, stime, cutime, cstime are fields 14-17 of stat
            spent[pid] = sum(int(value) for value in fields[11:15]) / ticks
    return spent
