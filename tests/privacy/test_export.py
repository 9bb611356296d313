"""The member's data export: every kind of data in its own JSON file, and the invoice PDFs."""

import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.utils import timezone

from invoices.models import Document
from members.models import MemberEvent
from privacy.export import FILES, build_member_export
from tests.privacy.helpers import EMAIL, NAME

pytestmark = pytest.mark.django_db


def _open(content: bytes) -> dict:
    archive = zipfile.ZipFile(io.BytesIO(content))
    return {
        name: (json.loads(archive.read(name)) if name.endswith(".json") else archive.read(name))
        for name in archive.namelist()
    }


def test_the_export_holds_every_kind_of_the_members_data(member):
    files = _open(build_member_export(member=member, now=timezone.now()))
    invoice = Document.objects.get(member=member)

    assert set(files) == {*FILES, f"invoices/{invoice.number}.pdf"}
    profile = files["profile.json"]
    assert (profile["email"], profile["name"], profile["has_password"]) == (EMAIL, NAME, True)
    assert [a["email"] for a in profile["email_addresses"]] == [EMAIL]

    grants = {g["product_slug"]: g for g in files["grants.json"]}
    assert set(grants) == {"starter-checklist", "habit-course", "bonus-pack"}
    bonus_history = [(e["kind"], e["reason"], e["by"]) for e in grants["bonus-pack"]["history"]]
    assert bonus_history == [("granted", "goodwill", "support")]
    assert [e["kind"] for e in grants["habit-course"]["history"]] == ["granted", "first_use"]

    (order,) = files["orders.json"]
    assert (order["reference"], order["product"], order["amount_minor"]) == (
        "cs_ada",
        "Habit course",
        4900,
    )
    (payment,) = files["payments.json"]
    assert (payment["order"], payment["amount_minor"], payment["currency"]) == (
        "cs_ada",
        4900,
        "EUR",
    )
    (progress,) = files["progress.json"]
    assert (progress["lesson"], progress["completed_at"] is not None) == ("Day one", True)
    (used,) = files["downloads.json"]
    assert (used["download"], used["count"], used["last_ip"]) == ("Workbook", 1, "203.0.113.9")

    emails = files["emails.json"]
    kinds = {m["kind"] for m in emails["messages"]}
    assert {"lead_confirmation_email", "order_email", "sequence_email"} <= kinds
    assert [(m["document"], m["to"]) for m in emails["invoice_emails"]] == [(invoice.number, EMAIL)]
    assert [e["sequence"] for e in emails["sequence_emails"]] != []

    (consent,) = files["consents.json"]["consents"]
    assert (consent["email"], consent["product"], consent["given_ip"]) == (
        EMAIL,
        "Starter checklist (free)",
        "198.51.100.7",
    )
    assert consent["confirmed_ip"] == "198.51.100.8"
    assert [(c["kind"], c["amount_minor"]) for c in files["store_credit.json"]] == [
        ("credit", 1000)
    ]
    (listed,) = files["invoices.json"]
    assert (listed["number"], listed["gross_minor"], listed["buyer_name"]) == (
        invoice.number,
        4900,
        NAME,
    )
    assert files[f"invoices/{invoice.number}.pdf"].startswith(b"%PDF")


def test_export_member_command_writes_the_zip_and_prints_its_path(member, tmp_path, capsys):
    call_command("export_member", EMAIL.upper(), "--output", str(tmp_path))

    path = capsys.readouterr().out.strip()
    assert path.startswith(str(tmp_path))
    assert path.endswith(".zip")
    with open(path, "rb") as handle:
        assert _open(handle.read())["profile.json"]["email"] == EMAIL
    event = MemberEvent.objects.get(member=member, kind=MemberEvent.Kind.DATA_EXPORTED)
    assert event.reason == "exported from the shell"


def test_export_member_command_refuses_an_unknown_address(db, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="^no member with e-mail nobody@example.test$"):
        call_command("export_member", "nobody@example.test", "--output", str(tmp_path))
    assert list(tmp_path.iterdir()) == []
