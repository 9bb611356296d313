"""`manage.py funnel_report` and the admin's funnel page: the same figures, bad input refused."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command

from funnel.models import PageVisitDay
from tests.factories import PriceFactory, UserFactory
from tests.funnel.helpers import paid_order

pytestmark = pytest.mark.django_db

URL = "/admin/funnel/pagevisitday/report/"
RANGE = {"start": "2026-05-01", "end": "2026-05-31"}


@pytest.fixture
def shop():
    """Three first purchases in May (two EUR, one USD) after 8 + 16 page views."""
    workbook = PriceFactory(product__slug="workbook", product__name="Workbook", amount=1900)
    course = PriceFactory(product__slug="course", product__name="Course", amount=9900)
    PageVisitDay.objects.create(product=workbook.product, day=date(2026, 5, 2), count=8)
    PageVisitDay.objects.create(product=course.product, day=date(2026, 5, 3), count=16)
    for name, product, amount, currency in [
        ("ada", workbook.product, 1900, "EUR"),
        ("bob", course.product, 9900, "EUR"),
        ("cy", course.product, 12000, "USD"),
    ]:
        member = UserFactory(email=f"{name}@x.test")
        paid_order(
            member=member,
            product=product,
            at=datetime(2026, 5, 4, tzinfo=UTC),
            amount=amount,
            currency=currency,
        )
    return workbook.product, course.product


def command_json(*args: str) -> dict:
    out = StringIO()
    call_command("funnel_report", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def cells(html: str, table: str) -> dict[str, list[str]]:
    """Row header -> the row's cells of one table on the page (tags stripped)."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
        parts = [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        ]
        rows[parts[0]] = parts[1:]
    return rows


def test_the_page_and_the_command_show_the_same_figures(creator_client, shop):
    data = command_json("--from", "2026-05-01", "--to", "2026-05-31")
    html = creator_client.get(URL, RANGE).content.decode()

    steps = cells(html, "funnel-steps")
    assert [step["count"] for step in data["steps"]] == [24, 0, 0, 3]
    assert steps["Sales page visitors"] == ["24", ""]
    assert steps["Lead magnet sign-ups"] == ["0", "0.0%"]  # of 24 visitors
    assert steps["Confirmed sign-ups"] == ["0", "–"]  # of no sign-ups: no percentage
    assert steps["First purchases"] == ["3", "–"]
    assert data["visitors_to_first_purchases"] == "12.5"
    assert steps["First purchases per visitor"] == ["", "12.5%"]
    assert data["revenue"] == [
        {"currency": "EUR", "revenue_minor": 11800, "customers": 2, "per_customer_minor": 5900},
        {"currency": "USD", "revenue_minor": 12000, "customers": 1, "per_customer_minor": 12000},
    ]
    revenue = cells(html, "funnel-revenue")
    assert revenue["EUR"] == ["€118.00", "2", "€59.00"]
    assert revenue["USD"] == ["$120.00", "1", "$120.00"]
    pages = cells(html, "funnel-pages")
    assert [(page["slug"], page["visitors"]) for page in data["pages"]] == [
        ("course", 16),
        ("workbook", 8),
    ]
    assert pages["Course"] == ["16"]
    assert pages["Workbook"] == ["8"]
    assert cells(html, "funnel-offers")["Upsells shown"] == ["0", ""]
    assert "No coupons redeemed in this period." in html


def test_the_text_output_names_each_step(shop):
    out = StringIO()
    call_command("funnel_report", "--from", "2026-05-01", "--to", "2026-05-31", stdout=out)
    text = out.getvalue()

    assert "Funnel 2026-05-01 to 2026-05-31 (Europe/Berlin), all products" in text
    assert re.search(r"Sales page visitors\s+24\n", text)
    assert re.search(r"First purchases\s+3  – of the step before", text)
    assert re.search(r"First purchases per visitor\s+12.5%", text)
    assert "EUR: €118.00 from 2 customer(s), €59.00 each" in text
    assert re.search(r"Upsells shown\s+0\n", text)
    assert "Coupon redemptions:\n  none" in text


def test_one_product(creator_client, shop):
    data = command_json("--from", "2026-05-01", "--to", "2026-05-31", "--product", "workbook")
    html = creator_client.get(URL, {**RANGE, "product": "workbook"}).content.decode()

    assert data["product"] == "workbook"
    assert [step["count"] for step in data["steps"]] == [8, 0, 0, 1]
    assert cells(html, "funnel-steps")["First purchases"] == ["1", "–"]
    assert cells(html, "funnel-steps")["Sales page visitors"] == ["8", ""]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-13-01"], "--from must be a date as YYYY-MM-DD, not '2026-13-01'"),
        (["--to", "yesterday"], "--to must be a date as YYYY-MM-DD, not 'yesterday'"),
        (["--from", "2026-06-01", "--to", "2026-05-01"], "--from (2026-06-01) is after --to"),
        (["--product", "nothing"], "no product with the slug 'nothing'"),
    ],
)
def test_the_command_refuses_bad_input_with_one_line(args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("funnel_report", *args, stdout=StringIO())


def test_the_page_refuses_a_bad_range_with_a_message(creator_client, shop):
    response = creator_client.get(URL, {"start": "2026-06-01", "end": "2026-05-01"})
    html = response.content.decode()

    assert response.status_code == 200
    assert "“From” must be on or before “To”." in html
    assert 'id="funnel-steps"' not in html
    response = creator_client.get(URL, {"start": "not a date", "end": "2026-05-01"})
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()
    response = creator_client.get(URL, {**RANGE, "product": "nothing"})
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()


def test_without_a_range_the_page_shows_the_last_30_days(creator_client):
    response = creator_client.get(URL)

    assert response.status_code == 200
    assert 'id="funnel-steps"' in response.content.decode()


def test_percentages_and_money_follow_the_language(creator_client, shop):
    PageVisitDay.objects.filter(product__slug="course").update(count=17)
    PageVisitDay.objects.filter(product__slug="workbook").update(count=15)  # 3 of 32: 9.4 %
    english = creator_client.get(URL, RANGE).content.decode()
    german = creator_client.get(URL, RANGE, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    dutch = creator_client.get(URL, RANGE, HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    assert cells(english, "funnel-steps")["First purchases per visitor"] == ["", "9.4%"]
    assert cells(german, "funnel-steps")["Erstkäufe pro Besucher"] == ["", "9,4\u00a0%"]
    assert cells(dutch, "funnel-steps")["Eerste aankopen per bezoeker"] == ["", "9,4%"]
    assert cells(german, "funnel-revenue")["EUR"][0] == "118,00\u00a0€"


def test_members_get_404_staff_without_the_permission_403(client, shop):
    client.force_login(UserFactory(email="ada2@x.test"))
    assert client.get(URL, RANGE).status_code == 404

    staff = UserFactory(email="helper@x.test", is_staff=True)
    client.force_login(staff)
    assert client.get(URL, RANGE).status_code == 403

    staff.user_permissions.add(Permission.objects.get(codename="view_funnel_report"))
    response = client.get(URL, RANGE)
    assert response.status_code == 200
    assert cells(response.content.decode(), "funnel-steps")["First purchases"] == ["3", "–"]


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_report_permission_alone_shows_the_way_there_from_the_admin_index(client):
    staff = UserFactory(email="helper@x.test", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_funnel_report"))
    client.force_login(staff)

    assert "/admin/funnel/pagevisitday/" in client.get("/admin/").content.decode()
    listing = client.get("/admin/funnel/pagevisitday/").content.decode()
    assert URL in listing


def test_test_mode_orders_count_only_when_asked(creator_client, shop):
    workbook, _course = shop
    paid_order(
        member=UserFactory(email="tester@x.test"),
        product=workbook,
        at=datetime(2026, 5, 6, tzinfo=UTC),
        amount=1900,
        is_test=True,
    )
    args = ("--from", "2026-05-01", "--to", "2026-05-31")

    assert command_json(*args)["steps"][3]["count"] == 3
    with_test = command_json(*args, "--include-test")
    assert with_test["include_test"] is True
    assert with_test["steps"][3]["count"] == 4
    html = creator_client.get(URL, {**RANGE, "include_test": "on"}).content.decode()
    assert cells(html, "funnel-steps")["First purchases"] == ["4", "–"]
    assert "Test-mode orders are included." in html
