"""What the benchmarks that run servers share: a free port on loopback, a server process with
its output in a log file, and waiting until it listens."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
