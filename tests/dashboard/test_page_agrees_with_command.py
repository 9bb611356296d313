"""The page and ``manage.py revenue_report --json`` print the same figures: both read the same
data here (payments in two currencies over several months, through both providers),
and every figure of the JSON is found, formatted, in the page's tables."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.utils import translation

from dashboard.cells import format_int, format_month, format_rate
from products.money import format_money
from tests.dashboard.html_tables import body_rows
from tests.factories import ProductFactory, UserFactory
from tests.invoices.helpers import make_payment

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
REVENUE = ("gross", "refunds", "chargebacks", "vat", "net")


def history() -> None:
    course = ProductFactory(name="Sourdough basics", kind="course")
    download = ProductFactory(name="Workbook", kind="download")
    for days, currency, amount, provider, product in [
        (3, "EUR", 4_900, "stripe", course),
        (35, "EUR", 4_900, "digistore24", course),
        (70, "USD", 2_900, "stripe", download),
        (130, "EUR", 1_900, "stripe", download),
        (200, "USD", 5_900, "digistore24", course),
    ]:
        make_payment(
            member=UserFactory(),
            amount=amount,
            currency=currency,
            provider=provider,
            product=product,
            paid_at=NOW - timedelta(days=days),
        )


def money(amounts: dict, currencies: list[str]) -> list[str]:
    return [format_money(int(amounts.get(currency, 0)), currency) for currency in currencies]


def or_dash(amounts: dict, currencies: list[str]) -> list[str]:
    return money(amounts, currencies) if amounts else ["–"] * len(currencies)


@pytest.mark.django_db
def test_the_page_shows_what_the_command_prints(creator_client):
    history()
    with time_machine.travel(NOW, tick=False):
        html = creator_client.get("/admin/").content.decode()
        out = io.StringIO()
        call_command("revenue_report", "--json", stdout=out)
    assert_page_shows(html, json.loads(out.getvalue()), months=12)


def assert_page_shows(html: str, data: dict, *, months: int) -> None:
    """Every figure of ``revenue_report --json`` (``data``) is in the page's tables (``html``)."""
    currencies = data["currencies"]
    head_rows = 2 if len(currencies) > 1 else 1
    translation.activate("en")

    now = data["now"]
    assert body_rows(html, "table-now", head_rows) == [
        ["Active members", format_int(now["active_members"]), *["–"] * len(currencies)],
        [
            "Paying subscriptions (MRR)",
            format_int(now["active_subscriptions"]),
            *money(now["mrr"], currencies),
        ],
        [
            "In a trial (MRR after the trial)",
            format_int(now["trialing_subscriptions"]),
            *money(now["mrr_trialing"], currencies),
        ],
        [
            "Cancelling at the period's end (MRR until then)",
            format_int(now["cancelling_subscriptions"]),
            *money(now["mrr_cancelling"], currencies),
        ],
        [
            "Renewals in the next 30 days (upcoming payouts)",
            format_int(now["renewals_next_30_days"]),
            *money(now["renewals_next_30_days_amount"], currencies),
        ],
    ]
    revenue = body_rows(html, "table-revenue", head_rows)
    for row, key in zip(revenue, REVENUE, strict=True):
        assert row[1:] == money(now["this_month"][key], currencies) + money(
            now["last_month"][key], currencies
        )

    rows = body_rows(html, "table-months", head_rows)
    members = body_rows(html, "table-members", head_rows)
    assert len(rows) == len(members) == len(data["months"]) == months
    for row, month in zip(rows, data["months"], strict=True):
        expected = [format_month(date.fromisoformat(month["month"]))]
        for key in REVENUE:
            expected += money(month["revenue"][key], currencies)
        assert row == expected
    for row, month in zip(members, data["months"], strict=True):
        assert row == [
            format_month(date.fromisoformat(month["month"])),
            format_int(month["new_customers"]),
            format_int(month["new_subscriptions"]),
            format_int(month["churned_subscriptions"]),
            format_int(month["live_at_start"]),
            format_rate(None if month["churn_rate"] is None else Decimal(month["churn_rate"])),
            *or_dash(month["arpu"], currencies),
            *or_dash(month["ltv"], currencies),
        ]
    mrr = body_rows(html, "table-mrr", head_rows)
    for row, month in zip(mrr, data["months"], strict=True):
        assert row[1 : 1 + len(currencies)] == money(month["mrr_end"], currencies)

    products = {row[0]: row for row in body_rows(html, "table-products", head_rows)}
    assert set(products) == {product["name"] for product in data["products"]}
    for product in data["products"]:
        row = products[product["name"]]
        assert row[2 : 2 + len(currencies)] == money(product["revenue"], currencies)
        assert row[2 + len(currencies)] == format_int(product["buyers"])
    providers = body_rows(html, "table-providers", head_rows)
    assert len(providers) == len(data["providers"])
    for row, provider in zip(providers, data["providers"], strict=True):
        assert row[1 : 1 + len(currencies)] == money(provider["revenue"], currencies)
        assert row[1 + len(currencies)] == format_int(provider["buyers"])


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "&test=1", "&currency=usd"])
def test_the_page_agrees_on_the_signed_webhook_history(
    query, client, creator, live_site, settings, django_capture_on_commit_callbacks
):
    """The acceptance history of ``test_revenue_report`` (both providers, refunds, a chargeback,
    a plan change, a trial, two currencies): the page shows what the command prints."""
    from tests.dashboard.history import NOW as HISTORY_NOW
    from tests.dashboard.history import build_history

    settings.DIGISTORE24_IPN_PASSPHRASE = "ipn-passphrase-for-tests"
    build_history(client, django_capture_on_commit_callbacks)
    client.force_login(creator)
    arguments = {"": [], "&test=1": ["--include-test"], "&currency=usd": ["--currency", "usd"]}
    with time_machine.travel(HISTORY_NOW, tick=False):
        html = client.get(f"/admin/?{query.lstrip('&')}").content.decode()
        out = io.StringIO()
        call_command("revenue_report", "--json", *arguments[query], stdout=out)
    assert_page_shows(html, json.loads(out.getvalue()), months=12)
