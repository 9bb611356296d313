"""The creator's admin: filters, totals, CSV for the tax advisor, send again, pending documents."""

import csv
import io
from datetime import UTC, datetime

import pytest

from invoices.models import Document, DocumentMail, PendingDocument, SellerSettings
from invoices.services import issue_credit_note_for_refund, issue_invoice_for_payment
from tests.invoices.helpers import NOW, checkout_buyer, make_payment, make_seller

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/invoices/document/"
EXPORT = "/admin/invoices/document/export/"


@pytest.fixture
def documents():
    """March: an invoice of 49.00 and a partial credit of 10.00; April: an invoice of 19.00."""
    make_seller()
    march = make_payment(amount=4900)
    issue_invoice_for_payment(payment=march, now=NOW, buyer=checkout_buyer(name="=HYPERLINK(1)"))
    issue_credit_note_for_refund(payment=march, amount=1000, now=NOW)
    april = datetime(2026, 4, 2, 10, tzinfo=UTC)
    issue_invoice_for_payment(payment=make_payment(amount=1900, paid_at=april), now=april)


def test_changelist_shows_totals_and_filters_by_type_series_and_date(creator_client, documents):
    everything = creator_client.get(CHANGELIST)
    credit_notes = creator_client.get(CHANGELIST, {"kind": "credit_note"})
    april = creator_client.get(
        CHANGELIST, {"issue_date__gte": "2026-04-01", "issue_date__lt": "2026-05-01"}
    )
    by_year = creator_client.get(CHANGELIST, {"series__year": "2026"})

    assert [r.status_code for r in (everything, credit_notes, april, by_year)] == [200] * 4
    assert [d.number for d in everything.context["cl"].result_list] == [
        "RE-2026-000002",
        "GS-2026-000001",
        "RE-2026-000001",
    ]
    assert [d.number for d in credit_notes.context["cl"].result_list] == ["GS-2026-000001"]
    assert [d.number for d in april.context["cl"].result_list] == ["RE-2026-000002"]
    assert len(by_year.context["cl"].result_list) == 3
    assert everything.context["totals"] == [
        # 41.18 - 8.40 + 15.97 net; 7.82 - 1.60 + 3.03 VAT; 49.00 - 10.00 + 19.00 gross
        {"currency": "EUR", "count": 3, "net": "€48.75", "vat": "€9.25", "gross": "€58.00"}
    ]
    assert credit_notes.context["totals"][0]["gross"] == "-€10.00"
    assert b"Export CSV (date range)" in everything.content


def test_csv_export_of_a_date_range(creator_client, documents):
    response = creator_client.get(EXPORT, {"start": "2026-03-01", "end": "2026-03-31"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="invoices-2026-03-01-2026-03-31.csv"'
    )
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM; English: "," and "."
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == [
        "number",
        "type",
        "date",
        "buyer",
        "buyer_email",
        "buyer_vat_id",
        "net",
        "vat_rate",
        "vat",
        "gross",
        "currency",
        "payment_reference",
        "corrects",
    ]
    reference = Document.objects.get(number="RE-2026-000001").payment_reference
    assert rows[1:] == [
        [
            "GS-2026-000001",
            "credit_note",
            "2026-03-10",
            "'=HYPERLINK(1)",
            "ada@example.test",
            "GB123456789",
            "-8.40",
            "19.00",
            "-1.60",
            "-10.00",
            "EUR",
            reference,
            "RE-2026-000001",
        ],
        [
            "RE-2026-000001",
            "invoice",
            "2026-03-10",
            "'=HYPERLINK(1)",
            "ada@example.test",
            "GB123456789",
            "41.18",
            "19.00",
            "7.82",
            "49.00",
            "EUR",
            reference,
            "",
        ],
    ]


def test_csv_export_refuses_a_reversed_range(creator_client, documents):
    response = creator_client.get(EXPORT, {"start": "2026-04-01", "end": "2026-03-01"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"The start date must not be after the end date." in response.content


def test_csv_export_is_for_staff_only(client, documents):
    response = client.get(EXPORT, {"start": "2026-03-01", "end": "2026-03-31"})

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_send_again_mails_the_pdf_and_records_who_sent_it(
    creator_client, creator, documents, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = Document.objects.get(number="RE-2026-000001")

    with django_capture_on_commit_callbacks(execute=True):
        response = creator_client.post(
            CHANGELIST, {"action": "send_again", "_selected_action": [invoice.pk]}
        )

    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].attachments[0][0] == "RE-2026-000001.pdf"
    mail = DocumentMail.objects.get(document=invoice)
    assert (mail.reason, mail.actor, mail.recipient) == ("resent", creator, "ada@example.test")


def test_missing_settings_warn_and_the_action_issues_pending_documents(creator_client):
    issue_invoice_for_payment(payment=make_payment(amount=4900), now=NOW)

    warned = creator_client.get("/admin/invoices/sellersettings/")
    refused = creator_client.post(
        "/admin/invoices/pendingdocument/",
        {"action": "issue_pending", "_selected_action": [PendingDocument.objects.get().pk]},
        follow=True,
    )
    make_seller()
    issued = creator_client.post(
        "/admin/invoices/pendingdocument/",
        {"action": "issue_pending", "_selected_action": [PendingDocument.objects.get().pk]},
        follow=True,
    )

    assert "Seller settings are missing" in warned.content.decode()
    assert "1 payments and refunds are waiting" in warned.content.decode()
    assert "Fill in the seller settings first." in refused.content.decode()
    assert "1 documents issued: RE-2026-000001" in issued.content.decode()
    assert PendingDocument.objects.get().document.number == "RE-2026-000001"


def test_seller_settings_are_one_row(creator_client):
    assert creator_client.get("/admin/invoices/sellersettings/add/").status_code == 200
    make_seller()

    assert creator_client.get("/admin/invoices/sellersettings/add/").status_code == 403
    seller = SellerSettings.objects.get()
    delete = creator_client.post(
        f"/admin/invoices/sellersettings/{seller.pk}/delete/", {"post": "yes"}
    )
    assert delete.status_code == 403
    assert SellerSettings.objects.count() == 1


def test_a_bad_number_format_is_refused_in_the_admin(creator_client):
    seller = make_seller()
    data = {
        "legal_name": "Calm Money GmbH",
        "address": "Hauptstraße 5",
        "default_vat_rate": "19.00",
        "small_business_note": "x",
        "invoice_number_format": "RE-{year}-{number.__class__}",
        "credit_note_number_format": "GS-{number}",
        "currency": "EUR",
    }

    response = creator_client.post(f"/admin/invoices/sellersettings/{seller.pk}/change/", data)

    assert response.status_code == 200
    assert "Only {year} and {number} may appear" in response.content.decode()
    seller.refresh_from_db()
    assert seller.invoice_number_format == "RE-{year}-{number:06d}"


def test_credit_notes_cannot_share_the_invoice_number_format(creator_client):
    seller = make_seller()
    data = {
        "legal_name": "Calm Money GmbH",
        "address": "Hauptstraße 5",
        "default_vat_rate": "19.00",
        "small_business_note": "x",
        "invoice_number_format": "RE-{year}-{number:06d}",
        "credit_note_number_format": "RE-{year}-{number:06d}",
        "currency": "EUR",
    }

    response = creator_client.post(f"/admin/invoices/sellersettings/{seller.pk}/change/", data)

    assert "Credit notes need a format of their own." in response.content.decode()
    seller.refresh_from_db()
    assert seller.credit_note_number_format == "GS-{year}-{number:06d}"
