"""/members/invoices/: the member's own documents only, PDFs only for their owner."""

import pytest
from django.urls import reverse

from invoices.services import issue_credit_note_for_refund, issue_invoice_for_payment
from tests.factories import UserFactory
from tests.invoices.helpers import NOW, checkout_buyer, make_payment, make_seller, pdf_text

pytestmark = pytest.mark.django_db

LIST_URL = "/members/invoices/"


@pytest.fixture
def buyer_member():
    return UserFactory(email="ada@example.test", name="Ada Lovelace")


@pytest.fixture
def purchase(buyer_member):
    """A purchase of 49.00 through Stripe, invoiced."""
    make_seller()
    payment = make_payment(member=buyer_member, amount=4900)
    invoice = issue_invoice_for_payment(payment=payment, now=NOW, buyer=checkout_buyer())
    return payment, invoice


def test_list_url_is_the_contract():
    assert reverse("invoices:list") == LIST_URL


def test_after_a_purchase_the_member_sees_one_invoice_and_its_pdf(client, buyer_member, purchase):
    _payment, invoice = purchase
    client.force_login(buyer_member)

    page = client.get(LIST_URL)

    assert page.status_code == 200
    html = page.content.decode()
    pdf_url = f"/members/invoices/{invoice.number}/pdf/"
    assert html.count(pdf_url) == 1
    assert "RE-2026-000001" in html
    assert "€49.00" in html
    assert "10 Mar 2026" in html  # the issue date with its month spelled out, never 10/03/2026
    pdf = client.get(pdf_url)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    for expected in ["RE-2026-000001", "Ada Lovelace", "Calm Money GmbH", "49.00"]:
        assert expected in text


def test_another_member_gets_404_by_number_id_or_guessed_url(client, purchase):
    _payment, invoice = purchase
    client.force_login(UserFactory())

    urls = [
        f"/members/invoices/{invoice.number}/",
        f"/members/invoices/{invoice.number}/pdf/",
        f"/members/invoices/{invoice.pk}/",
        f"/members/invoices/{invoice.pk}/pdf/",
        "/members/invoices/RE-2026-000002/pdf/",
    ]
    assert [client.get(url).status_code for url in urls] == [404] * len(urls)
    assert invoice.number not in client.get(LIST_URL).content.decode()


def test_a_visitor_is_sent_to_login_and_gets_no_pdf(client, purchase):
    _payment, invoice = purchase

    response = client.get(f"/members/invoices/{invoice.number}/pdf/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert b"%PDF" not in response.content


def test_a_full_refund_lists_a_credit_note_whose_pdf_names_the_invoice(
    client, buyer_member, purchase
):
    payment, invoice = purchase
    note = issue_credit_note_for_refund(payment=payment, amount=4900, now=NOW)
    client.force_login(buyer_member)

    html = client.get(LIST_URL).content.decode()
    pdf = client.get(f"/members/invoices/{note.number}/pdf/")

    assert "GS-2026-000001" in html
    assert "corrects RE-2026-000001" in html
    assert "-€49.00" in html
    assert "This credit note corrects invoice RE-2026-000001." in pdf_text(pdf.content)


def test_html_in_the_buyer_name_shows_as_text_on_the_pages(client, buyer_member):
    make_seller()
    buyer = checkout_buyer(name="<script>alert(1)</script>Ada")
    invoice = issue_invoice_for_payment(
        payment=make_payment(member=buyer_member), now=NOW, buyer=buyer
    )
    client.force_login(buyer_member)

    html = client.get(f"/members/invoices/{invoice.number}/").content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Ada" in html


def test_digistore24_orders_link_to_their_invoice_with_a_note(client, buyer_member):
    make_seller()
    make_payment(
        member=buyer_member,
        provider="digistore24",
        amount=1900,
        invoice_url="https://www.digistore24.com/invoice/abc",
    )
    client.force_login(buyer_member)

    html = client.get(LIST_URL).content.decode()

    assert 'href="https://www.digistore24.com/invoice/abc"' in html
    assert "Digistore24 is the seller of record for these orders" in html
    assert "You have no invoices yet." not in html


def test_pending_invoice_is_shown_as_being_prepared(client, buyer_member):
    issue_invoice_for_payment(payment=make_payment(member=buyer_member), now=NOW)
    client.force_login(buyer_member)

    html = client.get(LIST_URL).content.decode()

    assert "Your invoice is being prepared." in html


def test_list_query_count_does_not_grow_with_documents(
    client, buyer_member, django_assert_max_num_queries
):
    make_seller()
    for _ in range(5):
        payment = make_payment(member=buyer_member)
        issue_invoice_for_payment(payment=payment, now=NOW)
        issue_credit_note_for_refund(payment=payment, amount=100, now=NOW)
    client.force_login(buyer_member)

    with django_assert_max_num_queries(8):
        page = client.get(LIST_URL)

    assert page.content.decode().count("/pdf/") == 10
