"""Counting views of a product's sales page (the funnel's first step).

What counts: a GET of a published product's sales page (the view answers 200), by anyone who
is not staff. What does not: HEAD requests (link checkers, uptime probes), clients whose
User-Agent says it is a bot (``BOT_MARKERS``; bots that hide it are counted), and staff, who
open the page from the admin to preview it. A reload counts again: without cookies or stored
addresses a page view cannot be told from a second visitor, so the figure is page views.

One statement per counted view, an UPSERT on the unique (product, day) row: the increment is
done by the database, so concurrent views never lose a count.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime

from django.conf import settings
from django.db import connection
from django.http import HttpRequest

from funnel.models import PageVisitDay

# Lower-case substrings of User-Agent headers of clients that say they are robots.
BOT_MARKERS = (
    "bot",  # Googlebot, bingbot, DuckDuckBot, Applebot, AhrefsBot, Twitterbot …
    "crawler",
    "spider",
    "slurp",  # Yahoo
    "facebookexternalhit",
    "linkpreview",
    "python-requests",
    "curl/",
    "wget/",
)


def is_counted(request: HttpRequest) -> bool:
    if request.method != "GET":
        return False
    user_agent = request.headers.get("User-Agent", "").lower()
    if any(marker in user_agent for marker in BOT_MARKERS):
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated and user.is_staff)


def site_day(now: datetime) -> date:
    return now.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()


def count_page_view(*, product_id: int, now: datetime) -> None:
    """Add one view of the product's page to today's row (site time zone), creating the row.

    One INSERT … ON CONFLICT DO UPDATE (PostgreSQL and SQLite ≥ 3.24): exact under concurrency.
    """
    table = connection.ops.quote_name(PageVisitDay._meta.db_table)
    sql = (
        f"INSERT INTO {table} (product_id, day, count) VALUES (%s, %s, 1) "  # noqa: S608
        f"ON CONFLICT (product_id, day) DO UPDATE SET count = {table}.count + 1"
    )
    day = connection.ops.adapt_datefield_value(site_day(now))
    with connection.cursor() as cursor:
        cursor.execute(sql, [product_id, day])


def count_sales_page_view(request: HttpRequest, *, product_id: int, now: datetime) -> None:
    """The sales page's hook: count this request if it is a visitor's view (see module doc)."""
    if is_counted(request):
        count_page_view(product_id=product_id, now=now)
