"""``manage.py funnel_report [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--product SLUG] [--json]``."""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from funnel.presentation import STEP_LABELS, default_range, format_percent
from funnel.report import FunnelReport, build_funnel
from products.models import Product
from products.money import format_money


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be a date as YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "The funnel for a date range (site time zone, both days included; default: the last "
        "30 days): sales page visitors, sign-ups, confirmations, first purchases, win-back "
        "e-mails and purchases after them, revenue per customer, upsells shown and taken, "
        "order bumps taken and coupon redemptions. The admin's funnel page shows the same "
        "figures."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--from", dest="start", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", help="last day, YYYY-MM-DD")
        parser.add_argument("--product", help="only this product (its slug)")
        parser.add_argument(
            "--include-test", action="store_true", help="count test-mode orders too"
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="JSON output")

    def handle(
        self, *args, start, end, product, include_test: bool, as_json: bool, **options
    ) -> None:
        default_start, default_end = default_range()
        start_day = _day(start, "--from") if start else default_start
        end_day = _day(end, "--to") if end else default_end
        if start_day > end_day:
            raise CommandError(f"--from ({start_day}) is after --to ({end_day})")
        chosen = None
        if product:
            chosen = Product.objects.filter(slug=product).first()
            if chosen is None:
                raise CommandError(f"no product with the slug {product!r}")
        report = build_funnel(
            start=start_day, end=end_day, product=chosen, include_test=include_test
        )
        if as_json:
            self.stdout.write(json.dumps(report.as_json(), indent=2))
        else:
            self._write(report)

    def _line(self, label: str, count: int | str, rate: str = "") -> None:
        self.stdout.write(f"  {label:<30}{count:>8}  {rate}".rstrip())

    def _write(self, report: FunnelReport) -> None:
        scope = report.product or "all products"
        test = ", test-mode orders included" if report.include_test else ""
        self.stdout.write(
            f"Funnel {report.start} to {report.end} ({report.time_zone}), {scope}{test}"
        )
        for index, step in enumerate(report.steps):
            rate = f"{format_percent(step.conversion)} of the step before" if index else ""
            self._line(str(STEP_LABELS[step.key]), step.count, rate)
        self._line(
            "First purchases per visitor", "", format_percent(report.visitors_to_first_purchases)
        )
        win_back = report.win_back
        self._line("Win-back e-mails sent", win_back.emails_sent)
        self._line("Members they went to", win_back.members_emailed)
        self._line("Purchases within 30 days", win_back.purchases_within_30_days)
        self._line(
            "Members who bought again",
            win_back.members_won_back,
            f"{format_percent(win_back.conversion)} of the members e-mailed",
        )
        self.stdout.write("Sales page visitors by page:")
        for page in report.pages:
            self.stdout.write(f"  {page.slug:<32}{page.visitors:>8}")
        if not report.pages:
            self.stdout.write("  none")
        self.stdout.write("Revenue per customer:")
        for row in report.revenue:
            self.stdout.write(
                f"  {row.currency}: {format_money(row.revenue_minor, row.currency)} from "
                f"{row.customers} customer(s), "
                f"{format_money(row.per_customer_minor, row.currency)} each"
            )
        if not report.revenue:
            self.stdout.write("  no payments")
        self._offers(report)

    def _offers(self, report: FunnelReport) -> None:
        self.stdout.write("Checkout offers:")
        upsells, bumps = report.upsells, report.bumps
        self._line("Upsells shown", upsells.shown)
        self._line("Upsells taken", upsells.taken, f"{format_percent(upsells.conversion)} of shown")
        self._line("Orders offering a bump", bumps.orders_offering)
        self._line(
            "Order bumps taken", bumps.taken, f"{format_percent(bumps.conversion)} of those orders"
        )
        self.stdout.write("Coupon redemptions:")
        for row in report.coupons:
            over = f", {row.over_limit} over the limit (not counted)" if row.over_limit else ""
            self.stdout.write(
                f"  {row.currency}: {row.redemptions} redemption(s){over}, "
                f"{format_money(row.discount_minor, row.currency)} off in total"
            )
        if not report.coupons:
            self.stdout.write("  none")
