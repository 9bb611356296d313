"""What every part of the report shares: the period, the filters, money maps and rounding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

Amounts = dict[str, int]


@dataclass(frozen=True)
class Period:
    """The report's months in the site's time zone, and the filters every query applies."""

    now: datetime
    tz: tzinfo
    months: list[date]  # first days, oldest first; the last is the month ``now`` is in
    start: datetime  # the first month's first instant (or last month's, if earlier)
    end: datetime  # the month after the last one's first instant
    currency: str | None
    include_test: bool

    @property
    def all_months(self) -> list[date]:
        """Every month from ``start`` (the report's, or last month if earlier) to the last."""
        first = self.start.astimezone(self.tz).date()
        return [add_months(first, n) for n in range(_months_between(first, self.months[-1]) + 1)]

    def bounds(self, field: str) -> Q:
        """``field`` (a datetime) within the report's months and not after now."""
        return Q(
            **{f"{field}__gte": self.start, f"{field}__lt": self.end, f"{field}__lte": self.now}
        )

    def shown(self, field: str) -> Q:
        """``field`` within the months the report shows (not the month before it) and not
        after now: the period of the breakdowns by product and provider."""
        return self.bounds(field) & Q(**{f"{field}__gte": month_start(self.months[0], self.tz)})

    def live(self, *, test_field: str, currency_field: str) -> Q:
        """Test-mode rows out unless asked for, and only the chosen currency."""
        condition = Q()
        if not self.include_test:
            condition &= Q(**{test_field: False})
        if self.currency:
            condition &= Q(**{currency_field: self.currency})
        return condition


def month_start(day: date, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, 1, tzinfo=tz)


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def add_months(day: date, count: int) -> date:
    index = day.year * 12 + day.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def make_period(*, now: datetime, months: int, currency: str | None, include_test: bool) -> Period:
    tz = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(tz)
    current = date(local.year, local.month, 1)
    firsts = [add_months(current, offset) for offset in range(1 - months, 1)]
    earliest = min(firsts[0], add_months(current, -1))
    return Period(
        now=now,
        tz=tz,
        months=firsts,
        start=month_start(earliest, tz),
        end=month_start(add_months(current, 1), tz),
        currency=currency.upper() if currency else None,
        include_test=include_test,
    )


def as_month(value) -> date:
    """A TruncMonth value (an aware datetime, or a date) as the month's first day."""
    if isinstance(value, datetime):
        return value.date()
    return value


def add(amounts: Amounts, currency: str, value: int | None) -> None:
    if value:
        amounts[currency] = amounts.get(currency, 0) + int(value)


def filled(amounts: Amounts, currencies: list[str]) -> Amounts:
    """Every currency of the report, 0 where nothing happened (one column per currency)."""
    return {currency: int(amounts.get(currency, 0)) for currency in currencies}


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def ratio(part: int, whole: int) -> Decimal | None:
    """``part / whole`` to four decimal places (0.1234 = 12.34 %); None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
