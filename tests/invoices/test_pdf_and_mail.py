"""The PDF: rendered after commit, A4, logo, local resources only; e-mailed to the buyer once."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfReader
from weasyprint import HTML

from invoices.delivery import read_document_pdf
from invoices.models import DocumentFile, DocumentMail
from invoices.pdf import RemoteURLRefusedError, local_only_fetcher
from invoices.services import issue_credit_note_for_refund, issue_invoice_for_payment
from tests.invoices.helpers import NOW, checkout_buyer, make_payment, make_seller, pdf_text

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_after_commit_the_pdf_is_stored_and_mailed_once(
    django_capture_on_commit_callbacks, mailoutbox
):
    make_seller()
    payment = make_payment(amount=4900)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invoice = issue_invoice_for_payment(payment=payment, now=NOW, buyer=checkout_buyer())
        assert DocumentFile.objects.count() == 0  # nothing rendered inside the transaction

    assert len(callbacks) == 1
    stored = DocumentFile.objects.get(document=invoice)
    assert stored.pdf.name == "invoices/2026/RE-2026-000001.pdf"
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["ada@example.test"]
    assert mail.subject == "Your invoice RE-2026-000001"
    (filename, content, mimetype) = mail.attachments[0]
    assert (filename, mimetype) == ("RE-2026-000001.pdf", "application/pdf")
    assert "RE-2026-000001" in pdf_text(content)
    assert DocumentMail.objects.get().reason == DocumentMail.Reason.ISSUED

    callbacks[0]()  # a repeated task delivery sends nothing more
    assert len(mailoutbox) == 1


def test_pdf_shows_number_seller_buyer_amount_on_a4():
    make_seller()
    invoice = issue_invoice_for_payment(
        payment=make_payment(amount=4900), now=NOW, buyer=checkout_buyer()
    )

    content = read_document_pdf(document=invoice, now=NOW)

    text = pdf_text(content)
    for expected in [
        "Invoice RE-2026-000001",
        "Calm Money GmbH",
        "DE999999999",
        "Ada Lovelace",
        "12 Analytical Lane",
        "GB123456789",
        "49.00",
        "41.18",
        "7.82",
        "cs_test_",
    ]:
        assert expected in text
    page = PdfReader(io.BytesIO(content)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)


def test_html_in_the_buyer_name_is_printed_as_text():
    make_seller()
    buyer = checkout_buyer(
        name='<script>alert(1)</script><b>Eve</b><img src="https://evil.test/x">'
    )
    invoice = issue_invoice_for_payment(payment=make_payment(), now=NOW, buyer=buyer)

    text = pdf_text(read_document_pdf(document=invoice, now=NOW))

    assert "<script>alert(1)</script><b>Eve</b>" in text


def test_small_business_pdf_prints_the_note_and_no_vat():
    make_seller(small_business=True)
    invoice = issue_invoice_for_payment(payment=make_payment(amount=4900), now=NOW)

    text = pdf_text(read_document_pdf(document=invoice, now=NOW))

    assert "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet." in text
    assert "0\u00a0%" in text  # a no-break space: the sign stays with its number


def test_credit_note_pdf_names_the_invoice_it_corrects():
    make_seller()
    payment = make_payment(amount=4900)
    issue_invoice_for_payment(payment=payment, now=NOW)
    note = issue_credit_note_for_refund(payment=payment, amount=4900, now=NOW)

    text = pdf_text(read_document_pdf(document=note, now=NOW))

    assert "Credit note GS-2026-000001" in text
    assert "This credit note corrects invoice RE-2026-000001." in text
    assert "-€49.00" in text


def test_logo_is_embedded_in_the_pdf():
    seller = make_seller()
    seller.logo = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")
    seller.save()
    invoice = issue_invoice_for_payment(payment=make_payment(), now=NOW)

    page = PdfReader(io.BytesIO(read_document_pdf(document=invoice, now=NOW))).pages[0]

    assert len(page.images) == 1


def test_the_fetcher_refuses_remote_and_file_urls():
    fetcher = local_only_fetcher()
    for url in ["https://example.test/font.woff2", "http://169.254.169.254/", "file:///etc/passwd"]:
        with pytest.raises(RemoteURLRefusedError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 3


def test_rendering_with_remote_resources_fetches_nothing_and_still_renders():
    fetcher = local_only_fetcher()
    html = (
        '<link rel="stylesheet" href="https://example.test/x.css">'
        '<p>Hello</p><img src="http://example.test/logo.png">'
    )

    content = HTML(string=html, url_fetcher=fetcher).write_pdf()

    assert "Hello" in pdf_text(content)
    assert sorted(fetcher.refused) == ["http://example.test/logo.png", "https://example.test/x.css"]


def test_every_page_footer_names_the_document_number_and_page(db):
    make_seller()
    invoice = issue_invoice_for_payment(
        payment=make_payment(amount=4900), now=NOW, buyer=checkout_buyer()
    )

    text = pdf_text(read_document_pdf(document=invoice, now=NOW))

    assert text.rstrip().endswith("RE-2026-000001 · 1 / 1")
