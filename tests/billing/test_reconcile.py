"""Reconcile with Stripe: paid without access and access without payment are reported with
their evidence, fixed only when asked and then through the normal event processing."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from billing import stripe_api
from billing.models import (
    ProviderEvent,
    ReconcileFinding,
    ReconcileFix,
    ReconcileRun,
    Subscription,
)
from billing.reconcile.services import run_reconcile
from members.access import grant_allows_access, product_allows_access
from members.models import AccessGrant, GrantEvent, User
from tests.billing.stripe_stub import FakeStripeHTTP
from tests.payloads.stripe import build_event, invoice_object, subscription_object

pytestmark = pytest.mark.django_db

T0 = 1_780_000_000  # 2026-05-28
DAY = 86400
PERIOD_1 = T0 + 30 * DAY
NOW = T0 + 10 * DAY
LIST = "/v1/subscriptions"


def at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


@pytest.fixture
def stripe_list(settings, stripe_webhook_secret):
    """Webhooks are signed and Stripe's API (a test key) is answered by a stub."""
    settings.STRIPE_SECRET_KEY = "sk_test_stubbed"
    fake = FakeStripeHTTP()
    stripe_api.use_http_client(fake)
    yield fake
    stripe_api.use_http_client(None)


@pytest.fixture
def waits(monkeypatch):
    recorded: list[float] = []
    monkeypatch.setattr(stripe_api, "sleep", recorded.append)
    return recorded


def paid_invoice(name: str, **fields) -> dict:
    defaults = {
        "invoice_id": f"in_{name}",
        "subscription": f"sub_{name}",
        "email": f"{name}@x.test",
        "customer": f"cus_{name}",
        "price_id": "price_monthly",
        "period_end": PERIOD_1,
        "paid_at": T0,
        "amount": 2900,
    }
    return invoice_object(**{**defaults, **fields})


def listed(name: str, status: str = "active", **fields) -> dict:
    return subscription_object(
        subscription=f"sub_{name}",
        customer=f"cus_{name}",
        price_id="price_monthly",
        period_end=PERIOD_1,
        status=status,
        latest_invoice=paid_invoice(name),
        **fields,
    )


def webhook_paid(deliver, name: str) -> None:
    """Our side: the subscription's first invoice arrived as a webhook at T0."""
    invoice = {
        "price_id": "price_monthly",
        "subscription": f"sub_{name}",
        "invoice_id": f"in_{name}",
        "email": f"{name}@x.test",
        "customer": f"cus_{name}",
        "period_end": PERIOD_1,
        "created": T0,
    }
    with time_machine.travel(at(T0), tick=False):
        deliver(build_event("invoice.paid", **invoice))


@pytest.fixture
def three_differences(stripe_list, deliver, membership_price):
    """A paid subscription we never heard of, one Stripe cancelled that we still grant, one
    that matches."""
    webhook_paid(deliver, "cancelled")
    webhook_paid(deliver, "match")
    stripe_list.add_list(
        LIST,
        [
            listed("paid"),
            listed("cancelled", status="canceled", ended_at=T0 + 5 * DAY),
            listed("match"),
        ],
    )
    return stripe_list


def reconcile(*args: str) -> dict:
    out = io.StringIO()
    with time_machine.travel(at(NOW), tick=False):
        call_command("reconcile", "--provider", "stripe", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_reconcile_reports_exactly_the_two_differences_and_changes_nothing(three_differences):
    grants_before = list(AccessGrant.objects.values_list("pk", "state", "paid_through"))
    events_before = GrantEvent.objects.count()

    (run,) = reconcile()["runs"]

    assert run["status"] == "done"
    assert run["checked"] == 3
    found = {(finding["kind"], finding["subject"]) for finding in run["findings"]}
    assert found == {("paid_no_access", "sub_paid"), ("access_not_paying", "sub_cancelled")}
    paid = next(f for f in run["findings"] if f["subject"] == "sub_paid")
    assert paid["email"] == "paid@x.test"
    assert paid["evidence"]["stripe"]["status"] == "active"
    assert paid["evidence"]["stripe"]["latest_invoice"]["id"] == "in_paid"
    assert paid["evidence"]["stripe"]["latest_invoice"]["status"] == "paid"
    assert paid["evidence"]["ours"] == {"subscription": None, "grants": []}
    cancelled = next(f for f in run["findings"] if f["subject"] == "sub_cancelled")
    assert cancelled["evidence"]["stripe"]["status"] == "canceled"
    assert cancelled["evidence"]["stripe"]["ended_at"] == at(T0 + 5 * DAY).isoformat()
    assert cancelled["evidence"]["ours"]["grants"] == [
        {
            "product": "inner-circle",
            "state": "active",
            "effective_state": "active",
            "paid_through": at(PERIOD_1).isoformat(),
        }
    ]
    # A run only reports: no grant, subscription, event or audit row changed.
    assert list(AccessGrant.objects.values_list("pk", "state", "paid_through")) == grants_before
    assert GrantEvent.objects.count() == events_before
    assert not User.objects.filter(email="paid@x.test").exists()
    assert ReconcileFix.objects.count() == 0


def test_fix_repairs_both_through_the_normal_services_and_a_second_run_finds_none(
    three_differences, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        (run,) = reconcile("--fix")["runs"]

    assert {finding["fixed"] for finding in run["findings"]} == {True}
    # The paying buyer now has their membership until the paid period ends, and was welcomed.
    bea = User.objects.get(email="paid@x.test")
    with time_machine.travel(at(NOW), tick=False):
        assert product_allows_access(member=bea, product=membership_product(), now=at(NOW))
    grant = AccessGrant.objects.get(member=bea)
    assert grant.paid_through == at(PERIOD_1)
    assert [message.to for message in mailoutbox[2:]] == [["paid@x.test"]]  # 2: the setup
    # The cancelled subscriber has lost access; the subscription ended when Stripe ended it.
    cancelled = Subscription.objects.get(provider_ref="sub_cancelled")
    assert cancelled.status == Subscription.Status.CANCELED
    assert cancelled.ended_at == at(T0 + 5 * DAY)
    assert not grant_allows_access(
        AccessGrant.objects.get(member__email="cancelled@x.test"), now=at(NOW)
    )
    # The match is untouched; the fixes are audited as events replayed from Stripe's state.
    assert grant_allows_access(AccessGrant.objects.get(member__email="match@x.test"), now=at(NOW))
    replayed = ProviderEvent.objects.filter(event_id__startswith="reconcile_")
    assert sorted(replayed.values_list("event_type", "status")) == [
        ("customer.subscription.deleted", "processed"),
        ("invoice.paid", "processed"),
    ]
    assert GrantEvent.objects.filter(source_event__in=replayed).count() == 2
    fixes = ReconcileFix.objects.all()
    assert [(fix.succeeded, fix.actor) for fix in fixes] == [(True, None), (True, None)]

    (second,) = reconcile()["runs"]
    assert second["findings"] == []


def membership_product():
    from products.models import Product

    return Product.objects.get(slug="inner-circle")


def test_fixing_a_finding_twice_applies_it_once(three_differences, creator):
    with time_machine.travel(at(NOW), tick=False):
        run = run_reconcile(provider="stripe", now=at(NOW))
        finding = run.findings.get(subject_ref="sub_paid")
        from billing.reconcile.services import fix_finding

        first = fix_finding(finding_pk=finding.pk, actor=creator, now=at(NOW))
        again = fix_finding(finding_pk=finding.pk, actor=creator, now=at(NOW))
    assert first == again
    assert ReconcileFix.objects.count() == 1
    assert AccessGrant.objects.filter(member__email="paid@x.test").count() == 1


def test_every_page_is_read(stripe_list, membership_price, monkeypatch):
    monkeypatch.setattr(stripe_api, "LIST_PAGE_SIZE", 2)
    stripe_list.add_list(LIST, [listed(f"s{number}") for number in range(5)])

    (run,) = reconcile()["runs"]

    assert run["checked"] == 5
    assert sorted(finding["subject"] for finding in run["findings"]) == [
        f"sub_s{number}" for number in range(5)
    ]
    pages = [request["query"] for request in stripe_list.requests if request["path"] == LIST]
    assert [page.get("starting_after") for page in pages] == [None, ["sub_s1"], ["sub_s3"]]
    assert {page["status"][0] for page in pages} == {"all"}
    assert {page["expand[0]"][0] for page in pages} == {"data.latest_invoice"}


def test_a_rate_limit_is_waited_out(stripe_list, membership_price, waits):
    stripe_list.add_list(LIST, [listed("paid")])
    stripe_list.fail_next("GET", LIST, status=429, times=2)

    (run,) = reconcile()["runs"]

    assert run["status"] == "done"
    assert [finding["subject"] for finding in run["findings"]] == ["sub_paid"]
    assert len(waits) == 2
    assert 1 <= waits[0] <= 1.25
    assert 2 <= waits[1] <= 2.5


def test_an_api_outage_fails_the_run_after_bounded_retries_and_changes_nothing(
    three_differences, waits
):
    three_differences.fail_next("GET", LIST, status=500, times=10)
    grants_before = list(AccessGrant.objects.values_list("pk", "state"))

    with pytest.raises(CommandError, match="reconcile failed for stripe"):
        reconcile("--fix")

    run = ReconcileRun.objects.get()
    assert run.status == ReconcileRun.Status.FAILED
    assert "stubbed 500" in run.error
    assert len(waits) == stripe_api.LIST_ATTEMPTS - 1
    assert list(AccessGrant.objects.values_list("pk", "state")) == grants_before
    assert ReconcileFinding.objects.count() == 0


def _no_floats(value) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(_no_floats(item) for item in value.values())
    if isinstance(value, list):
        return all(_no_floats(item) for item in value)
    return True


def test_json_output_carries_money_as_minor_units_and_decimal_strings(three_differences):
    output = reconcile()

    assert set(output) == {"runs"}
    (run,) = output["runs"]
    assert set(run) == {"id", "provider", "status", "error", "checked", "started_at", "findings"}
    finding = run["findings"][0]
    assert set(finding) == {
        "id",
        "provider",
        "kind",
        "subject",
        "email",
        "summary",
        "evidence",
        "fix",
        "fixed",
        "fix_result",
    }
    invoice = next(f for f in run["findings"] if f["subject"] == "sub_paid")["evidence"]
    money = invoice["stripe"]["latest_invoice"]
    assert (money["amount_minor"], money["amount"], money["currency"]) == (2900, "29.00", "EUR")
    assert _no_floats(output)


def test_a_2020_shaped_subscription_is_read_too(stripe_list, membership_price):
    subscription = subscription_object(
        subscription="sub_old",
        customer="cus_old",
        price_id="price_monthly",
        period_end=PERIOD_1,
        shape="legacy",
        latest_invoice=paid_invoice("old", shape="legacy"),
    )
    stripe_list.add_list(LIST, [subscription])

    (run,) = reconcile()["runs"]

    (finding,) = run["findings"]
    assert finding["evidence"]["stripe"]["current_period_end"] == at(PERIOD_1).isoformat()
    assert finding["fix"] == "replay_invoice_paid"


# --- the admin page ------------------------------------------------------------------------

PAGE = "/admin/billing/reconcilefinding/"


def fix_url(finding: ReconcileFinding) -> str:
    return f"{PAGE}{finding.pk}/fix/"


@pytest.fixture
def last_run(three_differences):
    with time_machine.travel(at(NOW), tick=False):
        return run_reconcile(provider="stripe", now=at(NOW))


def test_the_admin_lists_the_last_runs_findings_and_fixes_one_with_a_click(
    last_run, creator, creator_client, django_capture_on_commit_callbacks
):
    page = creator_client.get(PAGE)
    assert page.status_code == 200
    text = page.content.decode()
    assert "paid, no access" in text
    assert "access, not paying" in text
    assert "sub_paid" in text
    assert "sub_cancelled" in text
    assert "sub_match" not in text
    finding = last_run.findings.get(subject_ref="sub_paid")

    with (
        time_machine.travel(at(NOW), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = creator_client.post(fix_url(finding))
        after = creator_client.get(PAGE).content.decode()  # (the session is as old as NOW)

    assert response.status_code == 302
    assert AccessGrant.objects.get(member__email="paid@x.test").paid_through == at(PERIOD_1)
    fix = ReconcileFix.objects.get()
    assert (fix.finding, fix.actor, fix.succeeded) == (finding, creator, True)
    assert "Fixed: invoice.paid reconcile_invoice.paid_in_paid: processed" in after
    # The other finding is still open; only the one clicked was fixed.
    assert not AccessGrant.objects.filter(state="expired").exists()


def test_the_fix_needs_a_post_with_a_csrf_token(last_run, creator):
    from django.test import Client

    finding = last_run.findings.get(subject_ref="sub_paid")
    client = Client(enforce_csrf_checks=True)
    client.force_login(creator)

    assert client.get(fix_url(finding)).status_code == 405
    assert client.post(fix_url(finding)).status_code == 403
    assert not User.objects.filter(email="paid@x.test").exists()


def test_the_fix_needs_staff_who_may_change_findings(last_run, client, django_user_model):
    finding = last_run.findings.get(subject_ref="sub_paid")
    member = django_user_model.objects.create_user("member@x.test", "pw-member-1")
    client.force_login(member)
    assert client.post(fix_url(finding)).status_code == 302  # to the admin login
    staff = django_user_model.objects.create_user("staff@x.test", "pw-staff-1", is_staff=True)
    client.force_login(staff)
    assert client.post(fix_url(finding)).status_code == 403
    assert not User.objects.filter(email="paid@x.test").exists()
    assert ReconcileFix.objects.count() == 0


def test_the_nightly_job_reports_every_provider_and_fixes_nothing(three_differences, settings):
    from billing.tasks import reconcile_providers

    assert settings.CELERY_BEAT_SCHEDULE["billing-reconcile-providers"]["task"] == (
        "billing.tasks.reconcile_providers"
    )
    with time_machine.travel(at(NOW), tick=False):
        run_pks = reconcile_providers()

    runs = ReconcileRun.objects.filter(pk__in=run_pks)
    assert sorted(runs.values_list("provider", "status")) == [
        ("digistore24", "done"),
        ("stripe", "done"),
    ]
    assert ReconcileFinding.objects.count() == 2
    assert ReconcileFix.objects.count() == 0
    assert not User.objects.filter(email="paid@x.test").exists()


def test_a_fix_audit_row_cannot_be_rewritten_on_postgresql(postgres_only, three_differences):
    from django.db import IntegrityError, connection, transaction

    reconcile("--fix")
    assert ReconcileFix.objects.count() == 2
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE billing_reconcilefix SET result = 'rewritten'")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM billing_reconcilefix")
    assert set(ReconcileFix.objects.values_list("succeeded", flat=True)) == {True}


def test_access_given_anyway_after_the_end_is_not_a_difference(three_differences):
    from members.support import give_access_anyway

    reconcile("--fix")
    grant = AccessGrant.objects.get(member__email="cancelled@x.test")
    give_access_anyway(grant_pk=grant.pk, actor=None, reason="goodwill", now=at(NOW))
    assert grant_allows_access(AccessGrant.objects.get(pk=grant.pk), now=at(NOW))

    (run,) = reconcile()["runs"]

    assert run["findings"] == []
