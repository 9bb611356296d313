"""Hand-built ``Report`` objects for the page, chart and export tests: known numbers, no
database, so the presentation is tested whatever ``build_report`` computes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from dashboard.report import Month, Now, ProductRow, ProviderRow, Report, Revenue

GENERATED_AT = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)


def month_starts(count: int = 12, last: date = date(2026, 12, 1)) -> list[date]:
    year, month = last.year, last.month
    starts = []
    for _ in range(count):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def revenue(currency_amounts: dict[str, int]) -> Revenue:
    """Gross as given; 5% refunds, 1% chargebacks, 19% VAT of what stays, net the rest."""
    gross = currency_amounts
    refunds = {c: a // 20 for c, a in gross.items()}
    chargebacks = {c: a // 100 for c, a in gross.items()}
    vat = {c: (a - refunds[c] - chargebacks[c]) * 19 // 119 for c, a in gross.items()}
    net = {c: a - refunds[c] - chargebacks[c] - vat[c] for c, a in gross.items()}
    return Revenue(gross=gross, refunds=refunds, chargebacks=chargebacks, vat=vat, net=net)


def realistic_report(*, months: int = 12, products: int = 4) -> Report:
    """Two currencies, a year of growth, a course, a membership, a download and two providers."""
    rows = []
    for index, start in enumerate(month_starts(months)):
        eur = 180_000 + index * 23_500 + (15_000 if index % 3 == 0 else 0)
        usd = 40_000 + index * 6_100
        live = 40 + index * 6
        churned = 2 + index % 4
        rows.append(
            Month(
                month=start,
                revenue=revenue({"EUR": eur, "USD": usd}),
                new_customers=9 + index,
                new_subscriptions=8 + index,
                churned_subscriptions=churned,
                live_at_start=live,
                churn_rate=(Decimal(churned) / Decimal(live)).quantize(Decimal("0.0001")),
                mrr_end={"EUR": 120_000 + index * 15_000, "USD": 30_000 + index * 4_000},
                mrr_new={"EUR": 16_000 + index * 500, "USD": 4_500},
                mrr_expansion={"EUR": 2_900, "USD": 0},
                mrr_contraction={"EUR": 1_000, "USD": 0},
                mrr_churn={"EUR": 3_800 + index * 100, "USD": 500},
                mrr_reactivation={"EUR": 900 if index % 2 else 0, "USD": 0},
                arpu={"EUR": 4_250 + index * 10, "USD": 3_900},
                ltv={"EUR": 85_000 + index * 1_000, "USD": 70_000},
            )
        )
    product_rows = [
        ProductRow(
            product_id=1,
            name="Inner Circle (monthly membership)",
            kind="membership",
            revenue={"EUR": 1_450_000, "USD": 390_000},
            buyers=212,
            refunds={"EUR": 12_900, "USD": 0},
            refunded_orders=3,
            refund_rate=Decimal("0.0141"),
        ),
        ProductRow(
            product_id=2,
            name="Sauerteig für Anfänger",
            kind="course",
            revenue={"EUR": 612_300, "USD": 98_000},
            buyers=131,
            refunds={"EUR": 24_700, "USD": 4_900},
            refunded_orders=5,
            refund_rate=Decimal("0.0382"),
            started=118,
            finished=64,
        ),
        ProductRow(
            product_id=3,
            name="Workbook <PDF> & templates",
            kind="download",
            revenue={"EUR": 98_100, "USD": 12_000},
            buyers=77,
            refunds={"EUR": 0, "USD": 0},
            refunded_orders=0,
            refund_rate=Decimal("0"),
        ),
        ProductRow(
            product_id=4,
            name='=HYPERLINK("http://evil") bundle',
            kind="bundle",
            revenue={"EUR": 45_000},
            buyers=9,
            refunds={},
            refunded_orders=0,
            refund_rate=None,
        ),
    ][:products]
    return Report(
        generated_at=GENERATED_AT,
        time_zone="Europe/Berlin",
        currencies=["EUR", "USD"],
        include_test=False,
        now=Now(
            active_members=318,
            active_subscriptions=104,
            trialing_subscriptions=7,
            cancelling_subscriptions=5,
            mrr={"EUR": 285_000, "USD": 74_000},
            mrr_trialing={"EUR": 20_300, "USD": 0},
            mrr_cancelling={"EUR": 14_500, "USD": 2_900},
            this_month=revenue({"EUR": 123_456, "USD": 31_000}),
            last_month=revenue({"EUR": 438_500, "USD": 107_100}),
            renewals_next_30_days=96,
            renewals_next_30_days_amount={"EUR": 262_000, "USD": 71_000},
        ),
        months=rows,
        products=product_rows,
        providers=[
            ProviderRow(
                provider="stripe",
                revenue={"EUR": 1_800_000, "USD": 500_000},
                buyers=301,
                refunds={"EUR": 30_000, "USD": 4_900},
                refunded_orders=7,
                refund_rate=Decimal("0.0198"),
            ),
            ProviderRow(
                provider="digistore24",
                revenue={"EUR": 405_400},
                buyers=88,
                refunds={"EUR": 7_600},
                refunded_orders=1,
                refund_rate=Decimal("0.0110"),
            ),
        ],
    )


def small_report() -> Report:
    """One currency, three months, numbers easy to check by eye."""
    starts = month_starts(3)
    months = [
        Month(
            month=starts[0],
            revenue=Revenue(gross={"EUR": 10_000}, net={"EUR": 8_000}),
            new_subscriptions=4,
            churned_subscriptions=0,
            mrr_end={"EUR": 4_000},
        ),
        Month(
            month=starts[1],
            revenue=Revenue(gross={"EUR": 25_000}, net={"EUR": 20_000}),
            new_subscriptions=2,
            churned_subscriptions=1,
            live_at_start=4,
            churn_rate=Decimal("0.25"),
            mrr_end={"EUR": 5_000},
            arpu={"EUR": 123_456},
            ltv={"EUR": 493_824},
        ),
        Month(
            month=starts[2],
            revenue=Revenue(gross={"EUR": 5_000}, net={"EUR": 4_000}),
            new_subscriptions=1,
            churned_subscriptions=2,
            live_at_start=5,
            churn_rate=Decimal("0.4"),
            mrr_end={"EUR": 3_000},
        ),
    ]
    return Report(
        generated_at=GENERATED_AT,
        time_zone="Europe/Berlin",
        currencies=["EUR"],
        include_test=False,
        now=Now(active_members=12, active_subscriptions=5, mrr={"EUR": 123_456}),
        months=months,
        products=[
            ProductRow(
                product_id=1, name="Course <b>A</b>", kind="course", revenue={"EUR": 30_000}
            ),
            ProductRow(product_id=2, name="Membership", kind="membership", revenue={"EUR": 15_000}),
        ],
        providers=[ProviderRow(provider="stripe", revenue={"EUR": 45_000}, buyers=7)],
    )
