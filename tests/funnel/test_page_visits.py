"""Sales page visits: one count per product page and day, no personal data, what is counted."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client

from funnel.models import PageVisitDay
from funnel.visits import count_page_view
from tests.factories import PriceFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


def visits(product) -> dict[date, int]:
    return dict(PageVisitDay.objects.filter(product=product).values_list("day", "count"))


@pytest.fixture
def product():
    return PriceFactory(product__slug="workbook", amount=1900).product


def test_each_view_of_a_sales_page_adds_one_to_the_day(client, product):
    with time_machine.travel(datetime(2026, 5, 4, 9, tzinfo=UTC), tick=False):
        for _ in range(3):
            assert client.get("/products/workbook/", HTTP_USER_AGENT=CHROME).status_code == 200

    assert visits(product) == {date(2026, 5, 4): 3}


def test_days_are_the_sites_days_not_utc(client, product, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    # 23:30 UTC on 4 May is 01:30 on 5 May in Berlin; 21:30 UTC is still 4 May there.
    for moment in (
        datetime(2026, 5, 4, 21, 30, tzinfo=UTC),
        datetime(2026, 5, 4, 23, 30, tzinfo=UTC),
    ):
        with time_machine.travel(moment, tick=False):
            client.get("/products/workbook/", HTTP_USER_AGENT=CHROME)

    assert visits(product) == {date(2026, 5, 4): 1, date(2026, 5, 5): 1}


def test_a_view_sets_no_cookie_and_stores_nothing_about_the_visitor(product):
    uncounted = Client().get("/products/workbook/", HTTP_USER_AGENT="Googlebot/2.1")
    response = Client().get(
        "/products/workbook/", HTTP_USER_AGENT=CHROME, REMOTE_ADDR="203.0.113.9"
    )

    # The page's own CSRF cookie (its forms) is all there is, as for a request not counted.
    assert set(response.cookies) == set(uncounted.cookies) <= {"csrftoken"}
    row = PageVisitDay.objects.get(product=product)
    assert {field.name for field in PageVisitDay._meta.fields} == {"id", "product", "day", "count"}
    assert row.count == 1


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "facebookexternalhit/1.1",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0)",
        "python-requests/2.32",
        "curl/8.5.0",
    ],
)
def test_bots_that_say_so_are_not_counted(client, product, user_agent):
    assert client.get("/products/workbook/", HTTP_USER_AGENT=user_agent).status_code == 200

    assert visits(product) == {}


def test_head_requests_and_staff_previews_are_not_counted(client, product):
    assert client.head("/products/workbook/", HTTP_USER_AGENT=CHROME).status_code == 200
    client.force_login(UserFactory(email="helper@x.test", is_staff=True))
    assert client.get("/products/workbook/", HTTP_USER_AGENT=CHROME).status_code == 200

    assert visits(product) == {}


def test_a_logged_in_member_is_counted_like_any_visitor(client, product):
    client.force_login(UserFactory(email="ada@x.test"))
    client.get("/products/workbook/", HTTP_USER_AGENT=CHROME)

    assert sum(visits(product).values()) == 1


def test_an_unknown_or_unpublished_page_counts_nothing(client):
    hidden = ProductFactory(slug="hidden", is_published=False)

    assert client.get("/products/hidden/", HTTP_USER_AGENT=CHROME).status_code == 404
    assert client.get("/products/nothing/", HTTP_USER_AGENT=CHROME).status_code == 404
    assert visits(hidden) == {}
    assert PageVisitDay.objects.count() == 0


def test_counting_is_one_statement(product, django_assert_num_queries):
    moment = datetime(2026, 5, 4, 9, tzinfo=UTC)
    count_page_view(product_id=product.pk, now=moment)
    with django_assert_num_queries(1):
        count_page_view(product_id=product.pk, now=moment)

    assert visits(product) == {date(2026, 5, 4): 2}
