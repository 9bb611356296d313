"""Put the parts together into a ``Report``: a fixed number of queries, then only arithmetic on
the few aggregated rows they return (one per month, currency and kind)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Count

from dashboard.figures.breakdown import (
    course_progress,
    products_named,
    sales_by_product_and_provider,
)
from dashboard.figures.common import (
    Amounts,
    add_months,
    filled,
    half_up,
    make_period,
    ratio,
)
from dashboard.figures.revenue import MonthMoney, money_by_month
from dashboard.figures.subscriptions import Movements, movements_by_month, subscriptions_now
from dashboard.report import Month, Now, ProductRow, ProviderRow, Report, Revenue
from members.access import LIVE_STATES
from members.models import AccessGrant
from products.models import Product


def _revenue(money: MonthMoney, currencies: list[str]) -> Revenue:
    return Revenue(
        gross=filled(money.gross, currencies),
        refunds=filled(money.refunds, currencies),
        chargebacks=filled(money.chargebacks, currencies),
        vat=filled(money.vat, currencies),
        net=filled(money.net, currencies),
    )


def _arpu(net: Amounts, members: Amounts) -> Amounts:
    return {
        currency: half_up(Decimal(net.get(currency, 0)) / count)
        for currency, count in members.items()
        if count
    }


def _ltv(arpu: Amounts, churned: int, live: int) -> Amounts:
    if not churned or not live:
        return {}
    return {currency: half_up(Decimal(value) * live / churned) for currency, value in arpu.items()}


def _months(
    period,
    money: dict[date, MonthMoney],
    movements: Movements,
    currencies: list[str],
) -> list[Month]:
    """The report's months, counting live subscriptions and MRR on from the period's start."""
    live = movements.live_before
    mrr = dict(movements.mrr_before)
    rows = []
    firsts = period.months
    for month in period.all_months:
        cash = money.get(month, MonthMoney())
        moved = movements.months.get(month)
        live_at_start = live
        amounts = moved.amounts if moved else {}
        for currency, delta in _sum_kinds(amounts).items():
            mrr[currency] = mrr.get(currency, 0) + delta
        if moved:
            live += moved.new + moved.reactivated - moved.churned
        if month in firsts:
            rows.append(_month(month, cash, moved, live_at_start, mrr, currencies))
    return rows


def _sum_kinds(amounts: dict[str, Amounts]) -> Amounts:
    total: Amounts = {}
    for by_currency in amounts.values():
        for currency, delta in by_currency.items():
            total[currency] = total.get(currency, 0) + delta
    return total


def _month(month, cash, moved, live_at_start, mrr, currencies) -> Month:
    amounts = moved.amounts if moved else {}
    churned = moved.churned if moved else 0

    def kind(name: str, sign: int = 1) -> Amounts:
        return filled({c: sign * v for c, v in amounts.get(name, {}).items()}, currencies)

    arpu = _arpu(cash.net, cash.paying_members)
    return Month(
        month=month,
        revenue=_revenue(cash, currencies),
        new_customers=cash.new_customers,
        new_subscriptions=moved.new if moved else 0,
        churned_subscriptions=churned,
        live_at_start=live_at_start,
        churn_rate=ratio(churned, live_at_start),
        mrr_end=filled(mrr, currencies),
        mrr_new=kind("new"),
        mrr_expansion=kind("expansion"),
        mrr_contraction=kind("contraction", -1),
        mrr_churn=kind("churn", -1),
        mrr_reactivation=kind("reactivation"),
        arpu=arpu,
        ltv=_ltv(arpu, churned, live_at_start),
        reactivated_subscriptions=moved.reactivated if moved else 0,
    )


def _active_members(period) -> int:
    grants = AccessGrant.objects.filter(state__in=LIVE_STATES)
    if not period.include_test:
        grants = grants.filter(is_test=False)
    return grants.aggregate(count=Count("member_id", distinct=True))["count"]


def _currencies(period, *amount_maps) -> list[str]:
    if period.currency:
        return [period.currency]
    seen: set[str] = set()
    for amounts in amount_maps:
        seen.update(amounts)
    return sorted(seen)


def assemble(*, now: datetime, months: int, currency: str | None, include_test: bool) -> Report:
    period = make_period(now=now, months=months, currency=currency, include_test=include_test)
    money = money_by_month(period)
    movements = movements_by_month(period)
    subscriptions = subscriptions_now(period)
    by_product, by_provider = sales_by_product_and_provider(period)
    maps = [movements.mrr_before, subscriptions.mrr, subscriptions.mrr_trialing]
    maps += [subscriptions.mrr_cancelling, subscriptions.renewals_amount]
    for cash in money.values():
        maps += [cash.gross, cash.refunds, cash.chargebacks]
    for moved in movements.months.values():
        maps += list(moved.amounts.values())
    for sales in [*by_product.values(), *by_provider.values()]:
        maps += [sales.gross, sales.refunds, sales.chargebacks]
    currencies = _currencies(period, *maps)
    rows = _months(period, money, movements, currencies)
    current = period.months[-1]
    last = add_months(current, -1)
    products = products_named(by_product)
    courses = [pk for pk, row in products.items() if row["kind"] == Product.Kind.COURSE]
    progress = course_progress(period, courses)
    return Report(
        generated_at=now,
        time_zone=settings.TIME_ZONE,
        currencies=currencies,
        include_test=include_test,
        now=Now(
            active_members=_active_members(period),
            active_subscriptions=subscriptions.active,
            trialing_subscriptions=subscriptions.trialing,
            cancelling_subscriptions=subscriptions.cancelling,
            mrr=filled(subscriptions.mrr, currencies),
            mrr_trialing=filled(subscriptions.mrr_trialing, currencies),
            mrr_cancelling=filled(subscriptions.mrr_cancelling, currencies),
            this_month=_revenue(money.get(current, MonthMoney()), currencies),
            last_month=_revenue(money.get(last, MonthMoney()), currencies),
            renewals_next_30_days=subscriptions.renewals,
            renewals_next_30_days_amount=filled(subscriptions.renewals_amount, currencies),
        ),
        months=rows,
        products=[
            _product_row(pk, products[pk], sales, progress, currencies)
            for pk, sales in sorted(by_product.items(), key=lambda item: products[item[0]]["name"])
        ],
        providers=[
            ProviderRow(
                provider=name,
                revenue=filled(_net(sales), currencies),
                buyers=sales.buyers,
                refunds=filled(sales.refunds, currencies),
                refunded_orders=sales.refunded_orders,
                refund_rate=ratio(sales.refunded_orders, sales.orders),
                chargebacks=filled(sales.chargebacks, currencies),
                orders=sales.orders,
            )
            for name, sales in sorted(by_provider.items())
        ],
    )


def _net(sales) -> Amounts:
    net = dict(sales.gross)
    for amounts in (sales.refunds, sales.chargebacks):
        for currency, value in amounts.items():
            net[currency] = net.get(currency, 0) - value
    return net


def _product_row(pk, product, sales, progress, currencies) -> ProductRow:
    is_course = product["kind"] == Product.Kind.COURSE
    started, finished = progress.get(pk, (0, 0)) if is_course else (None, None)
    return ProductRow(
        product_id=pk,
        name=product["name"],
        kind=product["kind"],
        revenue=filled(_net(sales), currencies),
        buyers=sales.buyers,
        refunds=filled(sales.refunds, currencies),
        refunded_orders=sales.refunded_orders,
        refund_rate=ratio(sales.refunded_orders, sales.orders),
        started=started,
        finished=finished,
        chargebacks=filled(sales.chargebacks, currencies),
        orders=sales.orders,
    )
