"""An issued invoice cannot be changed or deleted: not through the ORM, not in the admin."""

import pytest
from django.urls import reverse

from invoices.models import Document, DocumentLine, ImmutableDocumentError
from invoices.services import issue_invoice_for_payment
from tests.invoices.helpers import NOW, make_payment, make_seller

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice():
    make_seller()
    return issue_invoice_for_payment(payment=make_payment(amount=4900), now=NOW)


def _unchanged(invoice: Document) -> None:
    stored = Document.objects.get(pk=invoice.pk)
    assert (stored.number, stored.gross_total, stored.buyer_name) == (
        invoice.number,
        4900,
        invoice.buyer_name,
    )
    assert DocumentLine.objects.get(document=invoice).gross == 4900


def test_saving_a_changed_invoice_is_refused(invoice):
    invoice.gross_total = 1
    with pytest.raises(ImmutableDocumentError):
        invoice.save()
    with pytest.raises(ImmutableDocumentError):
        invoice.save(update_fields=["gross_total"])
    invoice.gross_total = 4900
    _unchanged(invoice)


def test_queryset_update_and_bulk_update_are_refused(invoice):
    with pytest.raises(ImmutableDocumentError):
        Document.objects.filter(pk=invoice.pk).update(buyer_name="Mallory")
    with pytest.raises(ImmutableDocumentError):
        Document.objects.bulk_update([invoice], ["buyer_name"])
    with pytest.raises(ImmutableDocumentError):
        DocumentLine.objects.filter(document=invoice).update(gross=1)
    _unchanged(invoice)


def test_deleting_is_refused(invoice):
    with pytest.raises(ImmutableDocumentError):
        invoice.delete()
    with pytest.raises(ImmutableDocumentError):
        Document.objects.all().delete()
    with pytest.raises(ImmutableDocumentError):
        invoice.lines.get().delete()
    _unchanged(invoice)


def test_admin_shows_the_invoice_read_only(creator_client, invoice):
    url = reverse("admin:invoices_document_change", args=[invoice.pk])

    page = creator_client.get(url)
    posted = creator_client.post(url, {"buyer_name": "Mallory", "gross_total": "1"})

    assert page.status_code == 200
    assert b'name="buyer_name"' not in page.content  # no input fields: read-only
    assert invoice.number.encode() in page.content
    assert posted.status_code == 403
    _unchanged(invoice)


def test_admin_cannot_delete_or_add(creator_client, invoice):
    delete_url = reverse("admin:invoices_document_delete", args=[invoice.pk])
    changelist = reverse("admin:invoices_document_changelist")

    assert creator_client.post(delete_url, {"post": "yes"}).status_code == 403
    bulk = creator_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [invoice.pk], "post": "yes"}
    )
    assert creator_client.get(reverse("admin:invoices_document_add")).status_code == 403

    assert bulk.status_code == 302  # no such action: back to the list, nothing deleted
    assert b'value="delete_selected"' not in creator_client.get(changelist).content
    _unchanged(invoice)


def test_on_postgresql_the_database_refuses_raw_updates_and_deletes(postgres_only, invoice):
    from django.db import IntegrityError, connection, transaction

    for sql in [
        "UPDATE invoices_document SET gross_total = 1, net_total = 1, vat_total = 0",
        "DELETE FROM invoices_documentline",
        "DELETE FROM invoices_document",
    ]:
        with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
            connection.cursor().execute(sql)
    _unchanged(invoice)
