"""Builders and observers for the support tests: what the member sees, what the audit says."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import time_machine
from django.core.management import call_command

from members.models import GrantEvent, MemberEvent, StoreCreditEntry

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def run(*args: str, at: datetime = NOW) -> dict:
    """Run a support command with ``--json`` at ``at``; returns its parsed output."""
    from io import StringIO

    out = StringIO()
    with time_machine.travel(at, tick=False):
        call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


def run_text(*args: str, at: datetime = NOW) -> str:
    from io import StringIO

    out = StringIO()
    with time_machine.travel(at, tick=False):
        call_command(*args, stdout=out)
    return out.getvalue()


def access(email: str, *, at: datetime = NOW) -> dict[str, dict]:
    """``manage.py access EMAIL --json`` by product slug: what support and acceptance read."""
    rows = run("access", email, at=at)["products"]
    return {row["slug"]: row for row in rows}


def dashboard(client, member, *, at: datetime = NOW) -> str:
    client.force_login(member)
    with time_machine.travel(at, tick=False):
        page = client.get("/members/").content.decode()
    return page[page.index("<main") : page.index("</main>")]


def everything() -> tuple:
    """Every row a support action may write, to prove a refused action wrote nothing."""
    from members.models import AccessGrant

    return (
        list(AccessGrant.objects.order_by("pk").values()),
        list(GrantEvent.objects.order_by("pk").values()),
        list(StoreCreditEntry.objects.order_by("pk").values()),
        list(MemberEvent.objects.order_by("pk").values()),
    )
