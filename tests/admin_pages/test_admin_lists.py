"""Admin lists a creator can use: fixed query counts, money as money, filters, and read-only
records without Add or Delete."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from billing.models import ProviderEvent, Subscription
from invoices.services import issue_invoice_for_payment
from members.models import AccessGrant, GrantEvent
from outbox.models import OutboxMessage
from tests.factories import GrantFactory, PriceFactory, UserFactory
from tests.invoices.helpers import NOW, checkout_buyer, make_payment, make_seller

pytestmark = pytest.mark.django_db


def make_grant(number: int) -> None:
    grant = GrantFactory(member__email=f"grant{number}@x.test")
    GrantEvent.objects.create(grant=grant, kind="granted", at=NOW, reason="stripe checkout")


def make_event(number: int) -> None:
    ProviderEvent.objects.create(
        provider="stripe" if number % 2 else "digistore24", event_id=f"evt_{number}",
        event_type="invoice.paid", payload={}, status="failed", error="boom\nValueError: x",
        received_at=NOW,
    )  # fmt: skip


def make_subscription(number: int) -> None:
    order = make_payment(member=UserFactory(email=f"sub{number}@x.test")).order
    Subscription.objects.create(
        member=order.member, order=order, provider="stripe", provider_ref=f"sub_{number}",
        status="active", current_period_end=NOW + timedelta(days=30),
    )  # fmt: skip


def make_document(number: int) -> None:
    if number == 0:
        make_seller()
    issue_invoice_for_payment(payment=make_payment(), now=NOW, buyer=checkout_buyer())


def make_outbox_row(number: int) -> None:
    OutboxMessage.objects.create(
        kind=OutboxMessage.Kind.ORDER_EMAIL, state=OutboxMessage.State.FAILED,
        member=UserFactory(email=f"out{number}@x.test"), payload={}, created_at=NOW, due_at=NOW,
    )  # fmt: skip


LISTS: dict[str, Callable[[int], object]] = {
    "members_accessgrant": make_grant,
    "billing_order": lambda number: make_payment(),
    "billing_payment": lambda number: make_payment(),
    "billing_subscription": make_subscription,
    "billing_providerevent": make_event,
    "invoices_document": make_document,
    "outbox_outboxmessage": make_outbox_row,
    "products_product": lambda number: PriceFactory(stripe_price_id=None),
}


@pytest.mark.parametrize("model", LISTS)
def test_list_runs_the_same_queries_for_1_and_50_rows(
    creator_client, django_assert_num_queries, model
):
    url = reverse(f"admin:{model}_changelist")
    make = LISTS[model]
    make(0)
    creator_client.get(url)  # warm caches that fill once per process (branding, content types)
    with CaptureQueriesContext(connection) as one_row:
        assert creator_client.get(url).status_code == 200

    for number in range(1, 50):
        make(number)

    with django_assert_num_queries(len(one_row)):
        response = creator_client.get(url)
    assert response.context["cl"].result_count == 50


READ_ONLY = [
    "billing_order", "billing_payment", "billing_providerevent", "billing_subscription",
    "invoices_document", "outbox_outboxmessage",
]  # fmt: skip


@pytest.mark.parametrize("model", READ_ONLY)
def test_read_only_records_offer_no_add_and_no_delete(creator_client, model):
    LISTS[model](0)
    app_label, model_name = model.split("_", 1)
    from django.apps import apps

    obj = apps.get_model(app_label, model_name).objects.first()
    changelist = creator_client.get(reverse(f"admin:{model}_changelist")).content.decode()
    detail = creator_client.get(reverse(f"admin:{model}_change", args=[obj.pk])).content.decode()

    assert 'value="delete_selected"' not in changelist
    assert reverse(f"admin:{model}_add") not in changelist
    assert reverse(f"admin:{model}_delete", args=[obj.pk]) not in detail
    assert creator_client.get(reverse(f"admin:{model}_add")).status_code == 403
    assert creator_client.get(reverse(f"admin:{model}_delete", args=[obj.pk])).status_code == 403


def test_grant_events_are_shown_but_cannot_be_added_or_deleted(creator_client):
    make_grant(0)
    grant = GrantEvent.objects.get().grant

    html = creator_client.get(reverse("admin:members_accessgrant_change", args=[grant.pk]))

    formset = html.context["inline_admin_formsets"][0].formset
    assert (formset.can_delete, formset.max_num if formset.extra else 0) == (False, 0)
    assert "stripe checkout" in html.content.decode()
    assert "events-0-DELETE" not in html.content.decode()


def test_money_is_formatted_in_lists_and_details(creator_client):
    payment = make_payment(amount=4900, currency="EUR")
    yen = make_payment(amount=2900, currency="JPY")

    orders = creator_client.get(reverse("admin:billing_order_changelist")).content.decode()
    payments = creator_client.get(reverse("admin:billing_payment_changelist")).content.decode()
    detail = creator_client.get(
        reverse("admin:billing_order_change", args=[payment.order.pk])
    ).content.decode()

    assert "€49.00" in orders
    assert "¥2,900" in orders
    assert "€49.00" in payments
    assert "€49.00" in detail
    assert ">4900<" not in orders + payments + detail
    german = creator_client.get(
        reverse("admin:billing_payment_change", args=[yen.pk]), HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    assert "2.900\u00a0¥" in german


def test_lists_filter_as_a_creator_asks(creator_client):
    make_payment(provider="stripe", paid_at=datetime(2026, 3, 1, tzinfo=UTC))
    make_payment(provider="digistore24", paid_at=datetime(2026, 4, 1, tzinfo=UTC))
    make_event(1)
    make_event(2)
    habits = GrantFactory(
        product__name="Habits", state="revoked", member__email="ada@x.test"
    ).product
    GrantFactory(product__name="Yoga", state="active")

    def count(model: str, **query) -> int:
        response = creator_client.get(reverse(f"admin:{model}_changelist"), query)
        assert "errornote" not in response.content.decode()
        return response.context["cl"].result_count

    assert count("billing_order", provider__exact="digistore24", status__exact="paid") == 1
    assert count("billing_payment", paid_at__year="2026", paid_at__month="4") == 1
    assert count("billing_payment", paid_at__gte="2026-03-15 00:00:00+00:00") == 1
    assert count("billing_providerevent", event_type="invoice.paid", status__exact="failed") == 2
    assert count("billing_providerevent", provider__exact="stripe") == 1
    assert count("members_accessgrant", product__id__exact=habits.pk, state__exact="revoked") == 1
    assert count("members_accessgrant", q="ADA@x") == 1


def test_grant_rows_keep_django_s_action_checkbox(creator_client):
    """The grants list writes its row checkboxes without a template: Django's element, exactly."""
    from django.contrib.admin import ModelAdmin, site

    grant = GrantFactory()
    ours = site._registry[AccessGrant].action_checkbox(grant)
    assert ours == ModelAdmin.action_checkbox(site._registry[AccessGrant], grant)
    with translation.override("de"):
        assert "Dieses Objekt für eine Aktion auswählen" in site._registry[
            AccessGrant
        ].action_checkbox(grant)
    page = creator_client.get("/admin/members/accessgrant/").content.decode()
    assert f'name="_selected_action" value="{grant.pk}" class="action-select"' in page
