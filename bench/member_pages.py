"""Benchmark member pages under gunicorn on PostgreSQL: requests/s and p99 latency for the
dashboard, a lesson page, a membership's issues page and one of its posts, with 16 concurrent
clients on loopback (bounded: a fixed duration per page).

The member owns 10 courses of 20 lessons, with progress on half of them, and a membership tier
of a magazine with 500 posts over five years (issue 18). Production settings
(DEBUG off, collected static files); the clients send a session cookie made beforehand.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/member_pages.py
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR_DIR = tempfile.mkdtemp(prefix="bench-pages-")
ENV = {
    "DJANGO_SETTINGS_MODULE": "membership_site.settings",
    "DJANGO_SECRET_KEY": "bench-only-" + "x" * 40,
    "DJANGO_DEBUG": "0",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "VAR_DIR": VAR_DIR,
    "LOG_LEVEL": "WARNING",
}
os.environ.update(ENV)

import django  # noqa: E402

from bench._database import use_throwaway_database  # noqa: E402

CLIENTS = 16


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_magazine(member, now) -> tuple[str, str]:
    """A tier the member holds, 500 posts over five years; returns (issues path, post path)."""
    from magazine.models import Magazine, Post, Tier
    from members.models import AccessGrant
    from products.models import Product

    magazine, created = Magazine.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    if created:
        product = Product.objects.create(
            slug="bench-tier", name="Bench tier", kind="membership", is_published=True
        )
        tier = Tier.objects.create(
            magazine=magazine, product=product, rank=1, visibility="back_catalogue_after",
            back_catalogue_after_months=3,
        )  # fmt: skip
        posts = Post.objects.bulk_create(
            Post(
                magazine=magazine,
                title=f"Post {i}",
                slug=f"post-{i}",
                body="<p>Body</p>" * 20,
                publish_at=now - timedelta(days=365 * 5 * i / 500, hours=1),
            )  # fmt: skip
            for i in range(500)
        )
        Post.tiers.through.objects.bulk_create(
            Post.tiers.through(post_id=post.pk, tier_id=tier.pk) for post in posts
        )
        AccessGrant.objects.create(
            member=member, product=product, state="active", source="admin",
            starts_at=now - timedelta(days=40), first_used_at=now,
        )  # fmt: skip
    return magazine.get_absolute_url(), Post.objects.get(slug="post-1").get_absolute_url()


def prepare() -> tuple[str, list[tuple[str, str]]]:
    """Data and a logged-in session; returns (session cookie, [(page, path)])."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from members.models import AccessGrant, LessonProgress, User
    from products.models import Lesson, Module, Product

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    now = timezone.now()
    member, _created = User.objects.get_or_create(
        email="pages-bench@example.test", defaults={"time_zone": "America/Los_Angeles"}
    )
    lessons = []
    for number in range(10):
        course, created = Product.objects.get_or_create(
            slug=f"pages-bench-{number}",
            defaults={"name": f"Course {number}", "kind": "course", "is_published": True},
        )
        if created:
            module = Module.objects.create(product=course, title="Module", position=1)
            Lesson.objects.bulk_create(
                Lesson(
                    module=module, title=f"L{i}", body="<p>Body</p>" * 20, position=i, drip_days=i
                )  # fmt: skip
                for i in range(20)
            )
        AccessGrant.objects.get_or_create(
            member=member,
            product=course,
            defaults={
                "state": "active",
                "source": "admin",
                "starts_at": now - timedelta(days=10),
                "first_used_at": now,
            },  # fmt: skip
        )
        lessons += list(
            Lesson.objects.filter(module__product=course).select_related("module__product")
        )
    for lesson in lessons[::2]:
        LessonProgress.objects.get_or_create(
            member=member, lesson=lesson,
            defaults={"first_viewed_at": now, "last_viewed_at": now, "completed_at": now},
        )  # fmt: skip
    session = SessionStore()
    session[SESSION_KEY] = str(member.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = member.get_session_auth_hash()
    session.create()
    issues, post = prepare_magazine(member, now)
    pages = [
        ("dashboard", "/members/"),
        ("lesson page", lessons[3].get_absolute_url()),
        ("magazine issues (500 posts)", issues),
        ("magazine post", post),
    ]
    return session.session_key, pages


def hammer(port: int, path: str, cookie: str, seconds: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        nonlocal failures
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}"})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            bad += response.status != 200
        conn.close()
        with lock:
            latencies.extend(mine)
            failures += bad

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures


def run_wrk(port: int, path: str, cookie: str, seconds: float) -> str:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{CLIENTS}", f"-d{seconds:.0f}s", "--latency",
         "-H", f"Cookie: sessionid={cookie}", f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    lines = {line.split()[0]: line.split() for line in output.splitlines() if line.split()}
    errors = "non-2xx or 3xx responses:" in output
    return (
        f"{float(lines['Requests/sec:'][1]):.0f} requests/s, p50 {lines['50%'][1]}, "
        f"p99 {lines['99%'][1]}{', SOME NOT 200' if errors else ''}"
    )


def report(label: str, latencies: list[float], failures: int, seconds: float) -> None:
    ordered = sorted(latencies)
    p50 = ordered[len(ordered) // 2] * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    print(
        f"{label}: {len(ordered) / seconds:.0f} requests/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"{len(ordered)} requests, {failures} not 200"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    if use_throwaway_database("pages") is None:
        print("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    django.setup()
    from django.db import connection

    cookie, pages = prepare()
    connection.close()
    port = free_port()
    env = {**os.environ, **ENV, "SITE_URL": f"http://127.0.0.1:{port}"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "membership_site.wsgi", "-b", f"127.0.0.1:{port}",
         "-w", str(args.workers), "-k", "gthread", "--threads", "4", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        print(
            f"gunicorn: {args.workers} workers x 4 threads, {CLIENTS} clients, "
            f"{args.seconds:.0f} s per page"
        )
        for label, path in pages:
            hammer(port, path, cookie, 1.0)  # warm-up
            latencies, failures = hammer(port, path, cookie, args.seconds)
            report(label, latencies, failures, args.seconds)
        if shutil.which("wrk"):
            # Python client threads take a share of the 2 cores; wrk (C) shows the server's own
            # capacity with the same 16 connections.
            for label, path in pages:
                print(f"wrk {label}: " + run_wrk(port, path, cookie, args.seconds), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
