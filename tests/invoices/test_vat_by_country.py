"""VAT by the buyer's country (issue 19): signed Stripe events in, invoices and credit notes out.

A German seller sells one course at 49.00 gross everywhere. Consumers pay the VAT of their
country inside that price (OSS), a buyer outside the EU pays none (export note), and a business
with a VAT id VIES confirms gets a 0 % reverse-charge invoice. VIES is a stub of its HTTP layer.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import responses

from billing.models import Order, Payment
from invoices.delivery import document_language
from invoices.models import Document, DocumentKind, VatIdCheck
from invoices.pdf import render_document_pdf
from invoices.services import issue_invoice_for_payment, seller_settings
from invoices.vat import EU_STANDARD_RATES, RATES_CHECKED_ON, TaxTreatment
from tests.factories import CourseFactory, PriceFactory
from tests.invoices import vies_stub
from tests.invoices.helpers import NOW, checkout_buyer, make_payment, make_seller, pdf_text
from tests.payloads.stripe import build_event, fixture_with

pytestmark = pytest.mark.django_db

REVERSE_CHARGE_DE = "Steuerschuldnerschaft des Leistungsempfängers"
EXPORT_NOTE = "Not taxable in the EU: the place of supply of this service is outside the EU"


@pytest.fixture
def course_price(db):
    return PriceFactory(
        product=CourseFactory(name="Habit course", slug="habit-course"),
        stripe_price_id="price_course",
        amount=4900,
        currency="EUR",
    )


@pytest.fixture
def vies():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def checkout(
    *,
    country: str,
    tax_id: str = "",
    locale: str = "en",
    shape: str = "basil",
    number: str = "",
) -> str:
    """A signed-ready checkout.session.completed of our course, bought from ``country``."""
    body = json.loads(
        build_event(
            "checkout.session.completed",
            price_id="price_course",
            email=f"buyer-{country.lower()}{number}@example.test",
            amount=4900,
            payment_intent=f"pi_{country.lower()}{number}",
            shape=shape,
        )
    )
    session = body["data"]["object"]
    session["locale"] = locale
    session["customer_details"]["address"]["country"] = country
    if tax_id:
        session["customer_details"]["tax_ids"] = [{"type": "eu_vat", "value": tax_id}]
    return json.dumps(body)


def refund(*, payment_intent: str) -> str:
    return build_event(
        "charge.refunded", payment_intent=payment_intent, amount=4900, amount_refunded=4900
    )


def invoice_of(payment_intent: str) -> Document:
    return Document.objects.get(
        kind=DocumentKind.INVOICE, payment__payment_intent_ref=payment_intent
    )


def pdf_of(document: Document) -> str:
    content = render_document_pdf(
        document=document, seller=seller_settings(), language=document_language(document)
    )
    return pdf_text(content)


@pytest.mark.parametrize("shape", ["basil", "2020-08-27"])
def test_each_buyer_pays_the_same_gross_with_the_vat_of_their_country(
    deliver, course_price, vies, shape
):
    make_seller()  # Calm Money GmbH, Berlin, DE999999999
    vies_stub.answer(vies, vies_stub.valid())
    buyers = [
        ("DE", "", 19, TaxTreatment.DOMESTIC),
        ("AT", "", 20, TaxTreatment.OSS),
        ("NL", "", 21, TaxTreatment.OSS),
        ("FR", "", 20, TaxTreatment.OSS),
        ("US", "", 0, TaxTreatment.EXPORT),
        ("FR", "FR40303265045", 0, TaxTreatment.REVERSE_CHARGE),
    ]

    for number, (country, tax_id, _rate, _kind) in enumerate(buyers):
        body = checkout(country=country, tax_id=tax_id, shape=shape, number=str(number))
        assert deliver(body).status_code == 200

    invoices = [
        invoice_of(f"pi_{country.lower()}{number}")
        for number, (country, *_rest) in enumerate(buyers)
    ]
    assert [(doc.tax_treatment, doc.vat_rate) for doc in invoices] == [
        (kind, Decimal(rate)) for _country, _id, rate, kind in buyers
    ]
    assert [(doc.net_total, doc.vat_total, doc.gross_total) for doc in invoices] == [
        (4118, 782, 4900),  # 19 %
        (4083, 817, 4900),  # 20 %
        (4050, 850, 4900),  # 21 %
        (4083, 817, 4900),  # 20 %
        (4900, 0, 4900),  # export
        (4900, 0, 4900),  # reverse charge
    ]
    assert [doc.buyer_country for doc in invoices] == ["DE", "AT", "NL", "FR", "US", "FR"]
    assert [doc.evidence_billing_country for doc in invoices] == [
        "DE", "AT", "NL", "FR", "US", "FR",
    ]  # fmt: skip
    business = invoices[-1]
    assert (business.buyer_vat_id, business.seller_vat_id) == ("FR40303265045", "DE999999999")
    # Asked once; without a requester: the helper seller's DE999999999 fails its check digit.
    assert vies_stub.sent(vies) == [{"countryCode": "FR", "vatNumber": "40303265045"}]
    business_text, export_text = pdf_of(business), pdf_of(invoices[4])
    assert "Reverse charge: the recipient of the service is liable" in business_text
    assert "FR40303265045" in business_text
    assert "DE999999999" in business_text
    assert EXPORT_NOTE in export_text.replace("\n", " ")
    assert "Reverse charge" not in export_text

    # A full refund of each: the credit note keeps its invoice's treatment, rate and country.
    for number, (country, *_rest) in enumerate(buyers):
        assert deliver(refund(payment_intent=f"pi_{country.lower()}{number}")).status_code == 200
    for invoice in invoices:
        note = Document.objects.get(kind=DocumentKind.CREDIT_NOTE, corrects=invoice)
        assert (note.tax_treatment, note.vat_rate, note.buyer_country) == (
            invoice.tax_treatment,
            invoice.vat_rate,
            invoice.buyer_country,
        )
        assert (note.net_total, note.vat_total, note.gross_total) == (
            -invoice.net_total,
            -invoice.vat_total,
            -invoice.gross_total,
        )
    assert "Reverse charge: the recipient" in pdf_of(business.credit_notes.get())


def test_a_real_checkout_event_of_a_french_business_is_reverse_charge(deliver, course_price, vies):
    """The real 2025 Checkout Session (tests/fixtures/stripe), given a VAT id as Checkout's
    tax_id_collection sends it, our price id, and a euro amount."""
    make_seller()
    vies_stub.answer(vies, vies_stub.valid())

    def business_in_france(event: dict) -> None:
        session = event["data"]["object"]
        session.update(currency="eur", amount_total=4900, amount_subtotal=4900)
        session["metadata"] = {"price_id": "price_course"}
        session["customer_details"]["address"]["country"] = "FR"
        session["customer_details"]["tax_ids"] = [{"type": "eu_vat", "value": "FR40303265045"}]

    body = fixture_with("checkout.session.completed.payment", business_in_france)
    assert deliver(body).status_code == 200

    invoice = Document.objects.get()
    assert (invoice.tax_treatment, invoice.vat_rate, invoice.vat_total) == (
        TaxTreatment.REVERSE_CHARGE,
        Decimal("0.00"),
        0,
    )
    check = VatIdCheck.objects.get()
    assert (check.status, check.request_identifier, check.registered_name) == (
        VatIdCheck.Status.VALID,
        "WAPIAAAAZ1ab2Cd3",
        "ACME SARL",
    )


@pytest.mark.parametrize(
    ("country", "tax_id", "locale", "note"),
    [
        ("AT", "ATU13585627", "de", REVERSE_CHARGE_DE),
        ("NL", "NL004495445B01", "nl", "Btw verlegd"),
        ("FR", "FR40303265045", "fr", "Reverse charge"),  # no French site: English
    ],
)
def test_the_reverse_charge_note_speaks_the_buyers_language(
    deliver, course_price, vies, country, tax_id, locale, note
):
    make_seller()
    vies_stub.answer(vies, vies_stub.valid())

    deliver(checkout(country=country, tax_id=tax_id, locale=locale))

    text = pdf_of(Document.objects.get())
    assert note in text
    assert tax_id in text
    assert "DE999999999" in text


def test_a_wrong_check_digit_is_taxed_as_a_consumer_without_asking_vies(
    deliver, course_price, vies, admin_client
):
    make_seller()

    deliver(checkout(country="FR", tax_id="FR41303265045"))

    invoice = Document.objects.get()
    assert (invoice.tax_treatment, invoice.vat_rate) == (TaxTreatment.OSS, Decimal("20.00"))
    assert len(vies.calls) == 0  # never sent: the id cannot be valid
    check = VatIdCheck.objects.get()
    assert (check.status, check.reason) == (
        VatIdCheck.Status.INVALID,
        "The check digit of the VAT id is wrong.",
    )
    order_page = admin_client.get(f"/admin/billing/order/{invoice.payment.order_id}/change/")
    document_page = admin_client.get(f"/admin/invoices/document/{invoice.pk}/change/")
    for page in (order_page, document_page):
        assert "refused, taxed as a consumer: The check digit of the VAT id is wrong." in (
            page.content.decode()
        )


def test_an_id_vies_does_not_know_is_taxed_as_a_consumer_and_the_admin_says_why(
    deliver, course_price, vies, admin_client
):
    make_seller()
    vies_stub.answer(vies, vies_stub.NOT_REGISTERED)

    deliver(checkout(country="FR", tax_id="FR40303265045"))

    invoice = Document.objects.get()
    assert (invoice.tax_treatment, invoice.vat_rate) == (TaxTreatment.OSS, Decimal("20.00"))
    page = admin_client.get("/admin/invoices/vatidcheck/").content.decode()
    assert "VIES: the VAT id is not registered (not valid)." in page


def test_a_business_in_the_sellers_own_country_pays_the_domestic_rate(deliver, course_price, vies):
    make_seller()

    deliver(checkout(country="DE", tax_id="DE136695976"))

    invoice = Document.objects.get()
    assert (invoice.tax_treatment, invoice.vat_rate, invoice.buyer_vat_id) == (
        TaxTreatment.DOMESTIC,
        Decimal("19.00"),
        "DE136695976",
    )
    assert (len(vies.calls), VatIdCheck.objects.count()) == (0, 0)


def test_the_small_business_rule_still_wins_everywhere(deliver, course_price, vies):
    make_seller(small_business=True)

    deliver(checkout(country="FR", number="1"))
    deliver(checkout(country="AT", tax_id="ATU13585627", number="2"))

    invoices = list(Document.objects.order_by("pk"))
    assert [(doc.tax_treatment, doc.vat_rate, doc.vat_total) for doc in invoices] == [
        (TaxTreatment.SMALL_BUSINESS, Decimal("0.00"), 0),
        (TaxTreatment.SMALL_BUSINESS, Decimal("0.00"), 0),
    ]
    assert all(doc.small_business_note.startswith("Gemäß § 19 UStG") for doc in invoices)
    assert len(vies.calls) == 0


def test_a_seller_in_austria_charges_its_own_rate_at_home_and_germanys_in_germany():
    make_seller(country="AT", default_vat_rate=Decimal("20.00"), vat_id="ATU13585627")
    home = make_payment()
    germany = make_payment()

    at_home = issue_invoice_for_payment(payment=home, now=NOW, buyer=checkout_buyer(country="AT"))
    to_germany = issue_invoice_for_payment(payment=germany, now=NOW, buyer=checkout_buyer())

    assert (at_home.tax_treatment, at_home.vat_rate) == (TaxTreatment.DOMESTIC, Decimal("20"))
    assert (to_germany.tax_treatment, to_germany.vat_rate) == (TaxTreatment.OSS, Decimal("19"))


def test_the_rate_table_has_the_27_member_states_and_each_rate_is_applied():
    assert len(EU_STANDARD_RATES) == 27
    assert RATES_CHECKED_ON == "2026-12-02"
    make_seller()
    for country, rate in EU_STANDARD_RATES.items():
        payment = make_payment(amount=10000)
        invoice = issue_invoice_for_payment(
            payment=payment, now=NOW, buyer=checkout_buyer(country=country, vat_id="")
        )
        expected = TaxTreatment.DOMESTIC if country == "DE" else TaxTreatment.OSS
        assert (invoice.tax_treatment, invoice.vat_rate) == (expected, rate), country
        net = round(Decimal(10000) * 100 / (100 + rate))
        assert (invoice.net_total, invoice.vat_total) == (net, 10000 - net), country
        assert invoice.lines.get().vat_rate == rate


def test_location_evidence_from_the_card_and_the_ip_address_is_kept():
    make_seller()
    payment = make_payment()

    invoice = issue_invoice_for_payment(
        payment=payment,
        now=NOW,
        buyer=checkout_buyer(country="AT", card_country="AT", ip_country="DE", vat_id=""),
    )

    assert (
        invoice.evidence_billing_country,
        invoice.evidence_card_country,
        invoice.evidence_ip_country,
    ) == ("AT", "AT", "DE")
    assert (invoice.buyer_country, invoice.vat_rate) == ("AT", Decimal("20.00"))


def test_digistore24_orders_get_no_invoice_of_ours_wherever_the_buyer_is(vies):
    make_seller()
    payment = make_payment(provider="digistore24")

    invoice = issue_invoice_for_payment(
        payment=payment, now=NOW, buyer=checkout_buyer(country="FR", vat_id="FR40303265045")
    )

    assert invoice is None
    assert (Document.objects.count(), VatIdCheck.objects.count(), len(vies.calls)) == (0, 0, 0)
    assert Order.objects.get().provider == "digistore24"
    assert Payment.objects.count() == 1


def _live(body: str) -> str:
    event = json.loads(body)
    event["livemode"] = event["data"]["object"]["livemode"] = True
    return json.dumps(event)


def test_the_months_datev_export_books_each_treatment_and_matches_the_invoices(
    live_site, deliver, course_price, vies
):
    """The tax advisor's file for the month of the six buyers above (live mode), two of them
    refunded: one row per invoice and credit note, each on the account of its treatment, OSS
    rows with the buyer's country and rate, the reverse charge with the VAT id, and the signed
    total equal to the documents' to the cent."""
    from datetime import date

    from django.db.models import Sum
    from django.utils import timezone

    from invoices.datev import datev_export
    from tests.invoices.test_datev import DATEV_SELLER, parse

    make_seller(**DATEV_SELLER)
    vies_stub.answer(vies, vies_stub.valid())
    buyers = [("DE", ""), ("AT", ""), ("NL", ""), ("FR", ""), ("US", ""), ("FR", "FR40303265045")]
    for number, (country, tax_id) in enumerate(buyers):
        assert (
            deliver(_live(checkout(country=country, tax_id=tax_id, number=str(number)))).status_code
            == 200
        )
    for intent in ("pi_nl2", "pi_fr5"):
        assert deliver(_live(refund(payment_intent=intent))).status_code == 200
    documents = Document.objects.filter(series__is_test=False)
    assert documents.count() == 8
    today = timezone.localdate()

    batch = datev_export(start=date(today.year, today.month, 1), end=today, now=timezone.now())

    _header, _headings, rows = parse(batch.content)
    assert len(rows) == batch.count == 8
    signed = sum(
        (1 if row[1] == "S" else -1) * int(Decimal(row[0].replace(",", ".")) * 100) for row in rows
    )
    assert signed == documents.aggregate(total=Sum("gross_total"))["total"] == 6 * 4900 - 2 * 4900
    by_number = {row[10]: row for row in rows}
    for document in documents:
        row = by_number[document.number]
        account = {
            TaxTreatment.DOMESTIC: "8400",
            TaxTreatment.OSS: "8320",
            TaxTreatment.EXPORT: "8338",
            TaxTreatment.REVERSE_CHARGE: "8336",
        }[document.tax_treatment]
        assert row[7] == account, document.number
        if document.tax_treatment == TaxTreatment.OSS:
            assert (row[39], row[40]) == (
                document.buyer_country,
                f"{document.vat_rate:.2f}".replace(".", ","),
            )
        if document.tax_treatment == TaxTreatment.REVERSE_CHARGE:
            assert row[39] == "FR40303265045"
