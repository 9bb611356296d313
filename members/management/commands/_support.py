"""Shared parts of the support commands (grant, extend, swap, credit): argument parsing, output.

Each command parses its input, calls one service of ``members.support`` or ``members.credit``
and prints what changed (``--json`` too). Bad input ends with a one-line message and exit 1.
"""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from members.management.commands.access import describe
from members.support import GrantChange, SupportError


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(f"{value!r} is not a date such as 2026-12-31") from None


class SupportCommand(BaseCommand):
    action = ""

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reason", default="", help="why (required; written to the audit trail)"
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="machine-readable output"
        )

    def handle(self, *args, as_json: bool, **options) -> None:
        try:
            result = self.run(now=timezone.now(), **options)
        except SupportError as error:
            raise CommandError(str(error)) from None
        self.report(result, as_json=as_json)

    def run(self, *, now, **options) -> dict:
        raise NotImplementedError

    def grant_result(self, member, changes: list[GrantChange], *, now) -> dict:
        return {
            "action": self.action,
            "member": member.email,
            "changed": any(change.changed for change in changes),
            "summary": [change.summary for change in changes],
            "products": [
                {
                    key: value
                    for key, value in describe(change.grant, now=now).items()
                    if key != "history"
                }
                for change in changes
            ],  # fmt: skip
        }

    def report(self, result: dict, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(result, indent=2))
            return
        prefix = "" if result["changed"] else "unchanged: "
        for line in result["summary"]:
            self.stdout.write(f"{prefix}{result['member']}: {line}")
