# ruff: noqa: C408 - the months table reads best as keyword dicts
"""Acceptance: a known history through the real services (signed webhooks of Stripe and
Digistore24), then ``revenue_report --json``, every figure against the table below, computed by
hand. EUR through Stripe (our invoices, 19 % VAT), USD through Digistore24 (it invoices; no VAT
of ours). Months are Berlin's; the report runs at 2026-04-15 12:00 Berlin over six months.

Invoice VAT at 19 %: 29.00 -> 4.63, 49.00 -> 7.82; 10.00 of a 49.00 invoice credited -> 1.60.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from tests.dashboard.history import NOW, build_history

pytestmark = pytest.mark.django_db

E, U = "EUR", "USD"


def both(eur: int = 0, usd: int = 0) -> dict:
    return {E: eur, U: usd}


def revenue(gross=(0, 0), refunds=(0, 0), chargebacks=(0, 0), vat=(0, 0), net=(0, 0)) -> dict:
    return {
        "gross": both(*gross),
        "refunds": both(*refunds),
        "chargebacks": both(*chargebacks),
        "vat": both(*vat),
        "net": both(*net),
    }


# month: revenue, new customers, new subs, churned, reactivated, live at start, churn rate,
#        MRR end, MRR new/expansion/contraction/churn/reactivation, ARPU, LTV
MONTHS = {
    "2025-11-01": dict(
        revenue=revenue(gross=(5800, 0), vat=(926, 0), net=(4874, 0)),  # Ada, Dee
        new_customers=2, new_subscriptions=2, churned_subscriptions=0,
        reactivated_subscriptions=0, live_at_start=0, churn_rate=None,
        mrr_end=both(5800), mrr_new=both(5800), mrr_expansion=both(), mrr_contraction=both(),
        mrr_churn=both(), mrr_reactivation=both(), arpu={E: 2437}, ltv={},
    ),
    "2025-12-01": dict(
        revenue=revenue(gross=(5800, 1900), vat=(926, 0), net=(4874, 1900)),  # + Eve (USD)
        new_customers=1, new_subscriptions=1, churned_subscriptions=0,
        reactivated_subscriptions=0, live_at_start=2, churn_rate="0.0000",
        mrr_end=both(5800, 1900), mrr_new=both(0, 1900), mrr_expansion=both(),
        mrr_contraction=both(), mrr_churn=both(), mrr_reactivation=both(),
        arpu={E: 2437, U: 1900}, ltv={},
    ),
    "2026-01-01": dict(  # Bob's course (New Year's night), Ada upgrades, Dee churns
        revenue=revenue(gross=(7800, 1900), vat=(1245, 0), net=(6555, 1900)),
        new_customers=1, new_subscriptions=0, churned_subscriptions=1,
        reactivated_subscriptions=0, live_at_start=3, churn_rate="0.3333",
        mrr_end=both(4900, 1900), mrr_new=both(), mrr_expansion=both(2000),
        mrr_contraction=both(), mrr_churn=both(2900), mrr_reactivation=both(),
        arpu={E: 3278, U: 1900}, ltv={E: 9834, U: 5700},
    ),
    "2026-02-01": dict(  # Cy's trial converts; 10.00 of Ada's payment refunded
        revenue=revenue(
            gross=(7800, 1900), refunds=(1000, 0), vat=(1085, 0), net=(5715, 1900)
        ),
        new_customers=1, new_subscriptions=1, churned_subscriptions=0,
        reactivated_subscriptions=0, live_at_start=2, churn_rate="0.0000",
        mrr_end=both(7800, 1900), mrr_new=both(2900), mrr_expansion=both(),
        mrr_contraction=both(), mrr_churn=both(), mrr_reactivation=both(),
        arpu={E: 2858, U: 1900}, ltv={},
    ),
    "2026-03-01": dict(  # Dee back (1 March in Berlin), Bob refunded, Cy charged back, Fay buys
        revenue=revenue(
            gross=(7800, 11800), refunds=(4900, 0), chargebacks=(2900, 0), vat=(0, 0),
            net=(0, 11800),
        ),
        new_customers=1, new_subscriptions=0, churned_subscriptions=1,
        reactivated_subscriptions=1, live_at_start=3, churn_rate="0.3333",
        mrr_end=both(7800, 1900), mrr_new=both(), mrr_expansion=both(), mrr_contraction=both(),
        mrr_churn=both(2900), mrr_reactivation=both(2900), arpu={E: 0, U: 5900},
        ltv={E: 0, U: 17700},
    ),
    "2026-04-01": dict(  # Ada's renewal at 00:30 summer time; Fay refunded
        revenue=revenue(gross=(4900, 1900), refunds=(0, 9900), vat=(782, 0), net=(4118, -8000)),
        new_customers=0, new_subscriptions=0, churned_subscriptions=0,
        reactivated_subscriptions=0, live_at_start=3, churn_rate="0.0000",
        mrr_end=both(7800, 1900), mrr_new=both(), mrr_expansion=both(), mrr_contraction=both(),
        mrr_churn=both(), mrr_reactivation=both(), arpu={E: 4118, U: -8000}, ltv={},
    ),
}  # fmt: skip

NOW_FIGURES = {
    "active_members": 3,  # Ada, Dee, Eve (Bob and Fay refunded, Cy charged back)
    "active_subscriptions": 2,  # Ada, Eve
    "trialing_subscriptions": 0,
    "cancelling_subscriptions": 1,  # Dee's second
    "mrr": both(4900, 1900),
    "mrr_trialing": both(),
    "mrr_cancelling": both(2900),
    "this_month": MONTHS["2026-04-01"]["revenue"],
    "last_month": MONTHS["2026-03-01"]["revenue"],
    "renewals_next_30_days": 2,  # Ada on 1 May, Eve on 5 May (Dee cancels)
    "renewals_next_30_days_amount": both(4900, 1900),
}

PRODUCTS = [
    # name, kind, revenue, buyers, refunds, chargebacks, orders, refunded orders, rate, started,
    # finished
    ("Habit course", "course", both(), 1, both(4900), both(), 1, 1, "1.0000", 0, 0),
    ("Inner circle", "membership", both(31100), 3, both(1000), both(2900), 4, 1, "0.2500", None,
     None),
    ("US circle", "membership", both(0, 9500), 1, both(), both(), 1, 0, "0.0000", None, None),
    ("US course", "course", both(), 1, both(0, 9900), both(), 1, 1, "1.0000", 0, 0),
]  # fmt: skip

PROVIDERS = [
    ("digistore24", both(0, 9500), 2, both(0, 9900), both(), 2, 1, "0.5000"),
    ("stripe", both(31100), 4, both(5900), both(2900), 5, 2, "0.4000"),
]


@pytest.fixture
def history(client, live_site, settings, django_capture_on_commit_callbacks):
    settings.DIGISTORE24_IPN_PASSPHRASE = "ipn-passphrase-for-tests"
    build_history(client, django_capture_on_commit_callbacks)


def report_json(*args: str) -> dict:
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("revenue_report", "--json", "--months", "6", *args, stdout=out)
    return json.loads(out.getvalue())


def test_every_figure_of_the_report_matches_the_hand_computed_table(history):
    report = report_json()

    assert report["currencies"] == [E, U]
    assert report["time_zone"] == "Europe/Berlin"
    assert report["include_test"] is False
    assert report["now"] == NOW_FIGURES
    assert [month["month"] for month in report["months"]] == list(MONTHS)
    for month in report["months"]:
        assert {key: value for key, value in month.items() if key != "month"} == MONTHS[
            month["month"]
        ], month["month"]
    products = [
        (
            p["name"], p["kind"], p["revenue"], p["buyers"], p["refunds"], p["chargebacks"],
            p["orders"], p["refunded_orders"], p["refund_rate"], p["started"], p["finished"],
        )
        for p in report["products"]
    ]  # fmt: skip
    assert products == PRODUCTS
    providers = [
        (
            p["provider"], p["revenue"], p["buyers"], p["refunds"], p["chargebacks"], p["orders"],
            p["refunded_orders"], p["refund_rate"],
        )
        for p in report["providers"]
    ]  # fmt: skip
    assert providers == PROVIDERS
    assert report["ltv_formula"] == "LTV = ARPU / churn rate"


def test_the_test_mode_switch_adds_the_test_purchase(history):
    report = report_json("--include-test")

    april = report["months"][-1]
    assert april["revenue"]["gross"] == both(4900, 1900 + 9900)
    assert april["new_customers"] == 1  # Gil
    assert report["now"]["active_members"] == 4


def test_one_currency_only(history):
    report = report_json("--currency", "usd")

    assert report["currencies"] == [U]
    assert report["now"]["mrr"] == {U: 1900}
    assert report["months"][2]["revenue"]["net"] == {U: 1900}


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_command_explains_itself_in_the_sites_language(capsys, settings, language):
    """``--help`` works (argparse takes no lazy strings) and is translated."""
    from django.utils import translation

    with translation.override(language), pytest.raises(SystemExit) as ended:
        call_command("revenue_report", "--help")
    assert ended.value.code == 0
    text = capsys.readouterr().out
    assert "--include-test" in text
    assert "MRR" in text
    assert ("Mitglieder" in text) == (language == "de")
