"""PostgreSQL, real threads: concurrent views of one sales page on one day lose no count.

Every thread's first view finds no row for the day; a read-then-write counter (get, add one,
save) or a plain get_or_create would lose views or fail on the unique (product, day). The UPSERT
lets the database serialise the increments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.test import Client

from funnel.models import PageVisitDay
from funnel.visits import count_page_view
from tests.conftest import run_concurrently
from tests.factories import PriceFactory

pytestmark = pytest.mark.django_db(transaction=True)

MOMENT = datetime(2026, 5, 4, 9, tzinfo=UTC)
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


def test_concurrent_counts_end_with_the_exact_number(postgres_only):
    product = PriceFactory(product__slug="workbook").product

    def view_five_times() -> None:
        for _ in range(5):
            count_page_view(product_id=product.pk, now=MOMENT)

    errors = run_concurrently(view_five_times, times=8)

    assert errors == []
    assert list(PageVisitDay.objects.values_list("day", "count")) == [(date(2026, 5, 4), 40)]


def test_concurrent_page_views_through_the_sales_page(postgres_only):
    product = PriceFactory(product__slug="workbook").product

    def view() -> None:
        response = Client().get("/products/workbook/", HTTP_USER_AGENT=CHROME)
        assert response.status_code == 200

    errors = run_concurrently(view, times=6)

    assert errors == []
    assert PageVisitDay.objects.get(product=product).count == 6
