"""Instructions per member page, counted by valgrind (callgrind): a figure that does not move
with the machine's speed.

``bench/member_pages.py`` prints CPU milliseconds, and on this virtual machine those move by half
within minutes (neighbours on the host): the same lesson page measured 2.7 ms and 4.6 ms in one
session, too much noise to see a change worth a few per cent. The number of instructions the
process executes per request is the same from one run to the next (within 0.2 % here), so two
versions of the code can be compared at any hour; it is not a time (a slow hour runs the same
instructions more slowly), only the work the code asks for.

Each page runs in a child process under ``valgrind --tool=callgrind --instr-atstart=no``: the
child sets up Django and warms the page up (caches, prepared statements) uninstrumented, then
this process switches counting on (``callgrind_control``) for ``--requests`` calls of the page
and off again. The data, the session and the pages are those of ``bench/member_pages.py``, on
PostgreSQL (and Redis, if REDIS_URL is set), in a throw-away database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/page_instructions.py            # needs valgrind (Debian package)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WARM_UP = 60  # calls before counting starts: every cache and prepared statement in place


def child(spec_path: str) -> None:
    """Runs under valgrind: warm up, then call the page while the parent counts."""
    spec = json.loads(Path(spec_path).read_text())
    os.environ.update(spec["env"])
    import django

    django.setup()
    from django.db import connection

    from bench._wsgi import wsgi_caller

    connection.settings_dict["CONN_MAX_AGE"] = None  # one connection, as a gunicorn worker keeps
    get = wsgi_caller(spec["cookie"])

    def call() -> None:
        status, _body = get(spec["path"])
        if status != 200:
            raise SystemExit(f"{spec['path']}: status {status}")

    signals = Path(spec["signals"])
    for _ in range(WARM_UP):
        call()
    (signals / "ready").touch()
    while not (signals / "go").exists():
        time.sleep(0.05)
    for _ in range(spec["requests"]):
        call()
    (signals / "done").touch()
    while not (signals / "stop").exists():
        time.sleep(0.05)


def _wait_for(path: Path, process: subprocess.Popen, log: Path) -> None:
    while not path.exists():
        if process.poll() is not None:
            raise SystemExit(f"the page's process ended early:\n{log.read_text()[-2000:]}")
        time.sleep(0.1)


def count(path: str, cookie: str, requests: int, env: dict) -> int:
    """Instructions per request of ``path``."""
    with tempfile.TemporaryDirectory(prefix="bench-instructions-") as folder:
        signals, log = Path(folder), Path(folder) / "valgrind.log"
        spec = Path(folder) / "spec.json"
        spec.write_text(json.dumps({
            "env": env, "path": path, "cookie": cookie, "requests": requests,
            "signals": folder,
        }))  # fmt: skip
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={folder}/callgrind.out",
            sys.executable, __file__, "--child", str(spec),
        ]  # fmt: skip
        with log.open("wb") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
            try:
                _wait_for(signals / "ready", process, log)
                subprocess.run(["callgrind_control", "-i", "on", str(process.pid)], check=True,
                               capture_output=True)  # fmt: skip
                (signals / "go").touch()
                _wait_for(signals / "done", process, log)
                subprocess.run(["callgrind_control", "-i", "off", str(process.pid)], check=True,
                               capture_output=True)  # fmt: skip
                (signals / "stop").touch()
                process.wait(timeout=120)
            finally:
                if process.poll() is None:
                    process.kill()
        found = re.search(r"Collected : (\d+)", log.read_text())
        if process.returncode != 0 or not found:
            raise SystemExit(f"valgrind failed for {path}:\n{log.read_text()[-2000:]}")
        return int(found.group(1)) // requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="counted calls per page")
    parser.add_argument("--pages", default="", help="only pages whose label starts so (a,b)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    if not shutil.which("valgrind"):  # `make bench` runs on without it
        print("Skipped: counting instructions needs valgrind (apt-get install valgrind).")
        return 0
    from bench import member_pages
    from bench._database import use_throwaway_database

    if use_throwaway_database("instructions") is None:
        print("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    import django

    django.setup()
    from django.db import connections

    cookie, pages = member_pages.prepare()
    connections.close_all()
    if args.pages:
        pages = [page for page in pages if page.label.startswith(tuple(args.pages.split(",")))]
    env = {name: os.environ[name] for name in (*member_pages.ENV, "DATABASE_URL")}
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    print(f"Python {sys.version.split()[0]} ({sys.executable}); {args.requests} counted requests")
    print(f"{'page':30} {'instructions/request':>20}")
    for page in pages:
        print(f"{page.label:30} {count(page.path, cookie, args.requests, env):20,}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
