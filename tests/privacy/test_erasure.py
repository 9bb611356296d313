"""Erasure: the person is gone from every table except the invoices' buyer block; their access,
sessions and logins end; the invoices, their numbers and totals stay as they were."""

import base64
import json

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone

from billing.models import Payment, ProviderEvent
from invoices.models import Document, InvoiceSeries
from leads.models import Consent
from leads.services import email_sha256
from members.login_links import login_link_url
from members.models import AccessGrant, GrantEvent, MemberEvent, User
from members.support import SupportError
from privacy.erasure import erase_member
from tests.privacy.helpers import EMAIL, NAME, PASSWORD

pytestmark = pytest.mark.django_db

# The buyer block of an issued invoice or credit note: kept ten years (§ 14 (4) UStG, § 147 AO).
KEPT = {("invoices.Document", f) for f in ("buyer_name", "buyer_email", "buyer_address")}


def _text(value) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return "" if value is None else str(value)


def _session_text(data: str) -> str:
    try:
        return base64.b64decode(data.split(":")[0] + "==").decode("utf-8", "replace") + data
    except ValueError:
        return data


def mentions_of(*needles: str) -> list[tuple[str, str, int]]:
    """Every (model, field, pk) of every table whose value holds one of the needles."""
    found = []
    lowered = [needle.lower() for needle in needles]
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [f for f in model._meta.concrete_fields if not f.is_relation or f.primary_key]
        names = [f.attname for f in fields]
        for row in model._base_manager.values_list("pk", *names):
            for name, value in zip(names, row[1:], strict=True):
                text = _text(value)
                if model is Session and name == "session_data":
                    text = _session_text(text)
                if any(needle in text.lower() for needle in lowered):
                    label = model._meta.label
                    if (label, name) not in KEPT:
                        found.append((label, name, row[0]))
    return found


def _documents():
    return list(
        Document.objects.order_by("pk").values_list(
            "number", "gross_total", "net_total", "vat_total", "buyer_name", "buyer_email"
        )
    )


def test_erasure_leaves_the_person_only_in_the_invoices_buyer_block(member, creator):
    logged_in = Client()
    logged_in.force_login(member)
    link = login_link_url(member).split("://", 1)[1].split("/", 1)[1]
    documents = _documents()
    series = list(InvoiceSeries.objects.values_list("pk", "last_number"))
    payments = list(Payment.objects.values_list("pk", "amount", "status"))
    assert {label for label, _f, _pk in mentions_of(EMAIL, NAME)} >= {
        "members.User", "account.EmailAddress", "billing.ProviderEvent", "leads.SignUp",
        "leads.Consent", "invoices.DocumentMail", "admin.LogEntry", "billing.ReconcileFinding",
    }  # fmt: skip

    erasure = erase_member(
        member_pk=member.pk, actor=creator, reason="asked by e-mail", now=timezone.now()
    )

    assert (
        mentions_of(EMAIL, NAME, "198.51.100.7", "198.51.100.8", "198.51.100.9", "203.0.113.9")
        == []
    )
    assert _documents() == documents
    assert documents[0][4:] == (NAME, EMAIL)
    assert list(InvoiceSeries.objects.values_list("pk", "last_number")) == series
    assert list(Payment.objects.values_list("pk", "amount", "status")) == payments
    member.refresh_from_db()
    assert (member.email, member.name, member.is_active) == (
        f"erased-{member.pk}@erased.invalid",
        "",
        False,
    )
    assert not member.has_usable_password()
    assert erasure.grants_ended == 3
    assert set(AccessGrant.objects.values_list("state", flat=True)) == {"revoked"}
    assert GrantEvent.objects.filter(kind="revoked", reason="account erased: asked by e-mail",
                                     actor=creator).count() == 3  # fmt: skip
    event = MemberEvent.objects.get(member=member, kind=MemberEvent.Kind.ERASED)
    assert (event.actor, event.reason) == (creator, "asked by e-mail")
    # Logins fail: password, the session that was open, a login link sent before.
    assert not Client().login(email=EMAIL, password=PASSWORD)
    assert (
        Client().post("/accounts/login/", {"login": EMAIL, "password": PASSWORD}).status_code == 200
    )
    assert logged_in.get("/members/").status_code == 302
    assert all(
        s.get_decoded().get("_auth_user_id") != str(member.pk) for s in Session.objects.all()
    )
    assert Client().post(f"/{link}").status_code == 410
    # The consent keeps its proof: text, version and time, with the address's hash only.
    consent = Consent.objects.get()
    assert (consent.email, consent.email_sha256, consent.given_ip) == (
        "",
        email_sha256(EMAIL),
        None,
    )
    assert consent.text
    assert consent.version
    assert consent.confirmed_at
    assert ProviderEvent.objects.get().payload["data"]["object"]["amount_total"] == 4900


def test_a_second_erasure_changes_nothing(member):
    erase_member(member_pk=member.pk, actor=None, reason="first", now=timezone.now())
    again = erase_member(member_pk=member.pk, actor=None, reason="second", now=timezone.now())

    assert (again.changed, again.summary) == (False, "already erased")
    assert MemberEvent.objects.filter(kind=MemberEvent.Kind.ERASED).count() == 1


def test_erasure_is_refused_while_a_subscription_still_charges(db):
    from billing.models import Order, Subscription
    from tests.factories import ProductFactory, UserFactory

    ada = UserFactory(email="sub@example.test")
    product = ProductFactory()
    order = Order.objects.create(
        member=ada, product=product, provider="stripe", provider_ref="cs_1", currency="EUR"
    )
    Subscription.objects.create(
        member=ada, order=order, provider="stripe", provider_ref="sub_1", status="active"
    )

    with pytest.raises(SupportError, match="sub_1 would still charge the member"):
        erase_member(member_pk=ada.pk, actor=None, reason="asked", now=timezone.now())
    ada.refresh_from_db()
    assert (ada.email, ada.is_active) == ("sub@example.test", True)
    assert not MemberEvent.objects.exists()


def test_erase_member_command(member, capsys):
    call_command("erase_member", EMAIL, "--reason", "ticket 42")

    out = capsys.readouterr().out
    assert out.strip() == (
        f"{EMAIL}: personal data erased; 3 grant(s) ended; invoices and payments kept "
        f"(now erased-{member.pk}@erased.invalid)"
    )
    assert MemberEvent.objects.get(kind="erased").reason == "ticket 42"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nobody@example.test", "--reason", "x"], "no member with e-mail nobody@example.test"),
        (["ada@example.test"], "a reason is required"),
    ],
)
def test_erase_member_command_refuses_bad_input(db, arguments, message):
    User.objects.create_user("ada@example.test")
    with pytest.raises(CommandError, match=f"^{message}$"):
        call_command("erase_member", *arguments)
    assert User.objects.get().is_active


def test_postgres_trigger_allows_only_the_anonymisation_of_a_consent(postgres_only, member):
    from django.db import IntegrityError, transaction

    consent = Consent.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE leads_consent SET text = 'other' WHERE id = %s", [consent.pk])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE leads_consent SET email = '', email_sha256 = 'forged', given_ip = NULL, "
            "confirmed_ip = NULL, user_agent = '', anonymised_at = now() WHERE id = %s",
            [consent.pk],
        )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM leads_consent WHERE id = %s", [consent.pk])

    erase_member(member_pk=member.pk, actor=None, reason="asked", now=timezone.now())

    assert Consent.objects.get().email_sha256 == email_sha256(EMAIL)
