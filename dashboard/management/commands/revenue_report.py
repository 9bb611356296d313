"""``manage.py revenue_report [--months N] [--currency EUR] [--json] [--include-test]``."""

from __future__ import annotations

import json
import re

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboard.report import build_report
from dashboard.report_text import report_lines

MAX_MONTHS = 60
CURRENCY_CODE = re.compile(r"^[A-Za-z]{3}$")


class Command(BaseCommand):
    # Translated when asked for (argparse takes plain strings only, not lazy ones).
    @property
    def help(self) -> str:
        return _(
            "Print the creator dashboard's figures: members, MRR, revenue, churn, LTV and "
            "renewals now and month by month, and revenue by product and provider."
        )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--months", type=int, default=12, help=_("how many months (1 to 60)"))
        parser.add_argument(
            "--currency", help=_("only this currency (a three-letter code, e.g. EUR)")
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help=_("JSON output"))
        parser.add_argument(
            "--include-test", action="store_true", help=_("count test-mode orders too")
        )

    def handle(self, *args, months: int, currency, as_json: bool, include_test: bool, **options):
        if not 1 <= months <= MAX_MONTHS:
            raise CommandError(
                _("--months must be between 1 and %(max)d, not %(months)d.")
                % {"max": MAX_MONTHS, "months": months}
            )
        if currency is not None and not CURRENCY_CODE.match(currency):
            raise CommandError(
                _("--currency takes a three-letter currency code such as EUR, not %(value)r.")
                % {"value": currency}
            )
        report = build_report(
            now=timezone.now(),
            months=months,
            currency=currency.upper() if currency else None,
            include_test=include_test,
        )
        if as_json:
            self.stdout.write(json.dumps(report.as_json(), indent=2))
            return
        self.stdout.write("\n".join(report_lines(report)))
