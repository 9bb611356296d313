"""The Digistore24 provider on its own: sha_sign, refusals, idempotency keys, answers.

No database: ``verify`` and ``acknowledge`` read only the request and settings. The contract's
test vectors pin both the app's signature function and the test payload builder.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.http import HttpResponse
from django.test import RequestFactory

from billing.providers.base import InvalidDelivery, VerifiedDelivery
from billing.providers.digistore24 import (
    Digistore24Provider,
    answer_registration_check,
    idempotency_key,
    signature,
)
from tests.payloads.digistore24 import (
    FORM,
    PASSPHRASE,
    URL,
    build_ipn,
    encode,
    sign,
    signed,
    signed_body,
)

VECTOR_PASSPHRASE = "s3cret-passphrase"
VECTOR_1 = (
    "9A23DE2603A33D17D935908580B5DB90C452DE8E68556E2A4AD96F1C3EC3BFD2"
    "EE3AE47B819B96286812224FBCED943D0ACF48C8C20CA57570E2263B6ABAF099"
)
VECTOR_1_UPPER_KEYS = (
    "650DFA85696C764CF5276397D48D5F1E7D1D0D42D2836E459CAE83A36814DF67"
    "E90C59A508B73D98280400758A65381D09BFA36D7F575345639D24F269A666A2"
)
VECTOR_2 = (
    "2F30138F4508E37C322DF849C4421E0F2B876FD065762B3257253B6BB22256F1"
    "0BE479F442E3AE5B0922A3FE12A32355AB41B830481F2B4835F92A1B05E604B5"
)
NOW = datetime(2025, 3, 2, 9, 0, tzinfo=UTC)

provider = Digistore24Provider()


@pytest.fixture
def passphrase(settings):
    settings.DIGISTORE24_IPN_PASSPHRASE = PASSPHRASE
    return PASSPHRASE


def ipn_request(body: str | bytes, content_type: str = FORM):
    return RequestFactory().post(URL, data=body, content_type=content_type)


def refusal(request) -> InvalidDelivery:
    with pytest.raises(InvalidDelivery) as caught:
        provider.verify(request)
    return caught.value


# --- signature: the contract's test vectors ----------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"order_id": "ORD-1", "product_id": "42"},
        {"product_id": "42", "order_id": "ORD-1", "note": ""},
        {"order_id": "ORD-1", "product_id": "42", "sha_sign": "ANYTHING"},
        {"order_id": "ORD-1", "product_id": "42", "SHASIGN": "anything"},
    ],
    ids=["plain", "empty-field-dropped", "sha_sign-excluded", "SHASIGN-excluded"],
)
def test_signature_matches_the_contract_vector(fields):
    assert signature(fields, VECTOR_PASSPHRASE) == VECTOR_1
    assert sign(fields, VECTOR_PASSPHRASE) == VECTOR_1


def test_signature_with_upper_cased_keys_matches_the_contract_vector():
    fields = {"order_id": "ORD-1", "product_id": "42"}
    assert signature(fields, VECTOR_PASSPHRASE, upper_keys=True) == VECTOR_1_UPPER_KEYS
    assert signature({"ORDER_ID": "ORD-1", "PRODUCT_ID": "42"}, VECTOR_PASSPHRASE) == (
        VECTOR_1_UPPER_KEYS
    )


def test_signature_of_utf8_names_matches_the_contract_vector():
    fields = {"order_id": "ORD-2", "buyer_first_name": "Jörg", "buyer_last_name": "Müller-Straße"}
    assert signature(fields, VECTOR_PASSPHRASE) == VECTOR_2
    assert sign(fields, VECTOR_PASSPHRASE) == VECTOR_2


def test_signature_keeps_zero_and_sorts_uppercase_before_underscore_before_lowercase():
    fields = {"b": "0", "B": "1", "_x": "2", "a": ""}
    joined = "B=1p_x=2pb=0p"
    import hashlib

    assert signature(fields, "p") == hashlib.sha512(joined.encode()).hexdigest().upper()
    assert len(signature(fields, "p")) == 128


# --- verify: what is accepted --------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_signed_ipn_is_verified_with_its_fields_as_sent(passphrase):
    fields = build_ipn("on_payment", order_id="ORDJM001", transaction_id="71234567")

    delivery = provider.verify(ipn_request(signed_body(fields)))

    assert delivery == VerifiedDelivery(
        event_id="on_payment:71234567",
        event_type="on_payment",
        payload={"fields": signed(fields), "received_at": "2025-03-02T09:00:00+00:00"},
        is_test=False,
    )
    assert delivery.payload["fields"]["buyer_first_name"] == "Jörg"
    assert delivery.payload["fields"]["buyer_last_name"] == "Müller"
    assert delivery.payload["fields"]["address_street2"] == ""


def test_api_mode_test_marks_the_delivery_as_test(passphrase):
    fields = build_ipn("on_payment", api_mode="test")
    assert provider.verify(ipn_request(signed_body(fields))).is_test is True


def test_the_upper_cased_key_variant_and_lowercase_hex_are_accepted(passphrase):
    fields = build_ipn("on_payment")
    upper = signature(fields, passphrase, upper_keys=True)
    for given in (upper, sign(fields).lower()):
        body = encode({**fields, "sha_sign": given})
        assert provider.verify(ipn_request(body)).event_type == "on_payment"


def test_the_signature_may_arrive_as_SHASIGN(passphrase):
    fields = build_ipn("on_payment")
    body = encode({**fields, "SHASIGN": sign(fields)})
    assert provider.verify(ipn_request(body)).event_type == "on_payment"


def test_plus_encoded_spaces_and_a_charset_parameter_are_accepted(passphrase):
    fields = build_ipn("on_payment", buyer_first_name="Anna Maria", product_name="Kurs & Buch")
    body = signed_body(fields)
    assert "Anna+Maria" in body

    delivery = provider.verify(ipn_request(body, f"{FORM}; charset=UTF-8"))

    assert delivery.payload["fields"]["buyer_first_name"] == "Anna Maria"
    assert delivery.payload["fields"]["product_name"] == "Kurs & Buch"


# --- verify: what is refused ---------------------------------------------------------------------


def test_a_missing_signature_is_refused_with_400(passphrase):
    error = refusal(ipn_request(encode(build_ipn("on_payment"))))
    assert (error.status, str(error)) == (400, "no sha_sign in the IPN")


def test_an_empty_signature_is_refused_with_400(passphrase):
    error = refusal(ipn_request(encode({**build_ipn("on_payment"), "sha_sign": ""})))
    assert error.status == 400


def test_a_forged_signature_is_refused_with_403(passphrase):
    body = encode({**build_ipn("on_payment"), "sha_sign": "0" * 128})
    error = refusal(ipn_request(body))
    assert (error.status, str(error)) == (403, "wrong sha_sign")


@pytest.mark.parametrize(
    ("field", "value"),
    [("transaction_amount", "0.01"), ("email", "attacker@example.test"), ("address_state", "X")],
    ids=["amount", "email", "empty-field-filled"],
)
def test_a_tampered_field_is_refused(passphrase, field, value):
    fields = signed(build_ipn("on_payment"))
    fields[field] = value
    assert refusal(ipn_request(encode(fields))).status == 403


def test_an_added_field_is_refused(passphrase):
    fields = {**signed(build_ipn("on_payment")), "pay_sequence_no_2": "9"}
    assert refusal(ipn_request(encode(fields))).status == 403


def test_a_signature_made_with_another_passphrase_is_refused(passphrase):
    body = signed_body(build_ipn("on_payment"), passphrase="another-passphrase")
    assert refusal(ipn_request(body)).status == 403


def test_everything_is_refused_while_the_passphrase_is_not_configured(settings):
    settings.DIGISTORE24_IPN_PASSPHRASE = ""
    body = signed_body(build_ipn("on_payment"), passphrase="")
    error = refusal(ipn_request(body))
    assert error.status == 403
    assert "DIGISTORE24_IPN_PASSPHRASE is not set" in str(error)


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ('{"event": "on_payment"}', "application/json", 415),
        ("event=on_payment", "text/plain", 415),
        ('{"event": "on_payment"}', FORM, 400),
        ("just some text", FORM, 400),
        ("event=on_payment&&sha_sign=AB", FORM, 400),
        (b"event=on_payment&buyer_first_name=J\xf6rg&sha_sign=AB", FORM, 400),
        ("event=on_payment&buyer_first_name=J%F6rg&sha_sign=AB", FORM, 400),
    ],
    ids=[
        "json",
        "text-plain",
        "json-as-form",
        "plain-text-as-form",
        "empty-pair",
        "latin1-bytes",
        "latin1-percent",
    ],
)
def test_a_body_that_is_not_a_utf8_form_is_refused(passphrase, body, content_type, status):
    assert refusal(ipn_request(body, content_type)).status == status


def test_an_empty_post_is_refused(passphrase):
    request = RequestFactory().generic("POST", URL, b"", content_type=FORM)
    assert refusal(request).status == 415  # an empty body carries no content type


def test_a_repeated_field_is_refused(passphrase):
    fields = signed(build_ipn("on_payment", product_id="510001"))
    body = encode(fields) + "&product_id=510002"
    error = refusal(ipn_request(body))
    assert (error.status, str(error)) == (400, "a field is repeated in the IPN")


# --- idempotency keys ------------------------------------------------------------------------


def test_money_events_are_keyed_by_event_and_transaction_id():
    payment = build_ipn("on_payment", order_id="ORDAB123", transaction_id="1001")
    rebill = build_ipn("on_payment", order_id="ORDAB123", transaction_id="1002")
    refund = build_ipn("on_refund", order_id="ORDAB123", transaction_id="2001")
    chargeback = build_ipn("on_chargeback", order_id="ORDAB123", transaction_id="2001")

    assert idempotency_key(payment) == "on_payment:1001"
    assert idempotency_key(rebill) == "on_payment:1002"
    assert idempotency_key(refund) == "on_refund:2001"
    assert idempotency_key(chargeback) == "on_chargeback:2001"


def test_other_events_are_keyed_by_order_product_and_date():
    first = build_ipn(
        "on_rebill_cancelled",
        order_id="ORDAB123",
        product_id="510003",
        transaction_date="2025-03-10 08:00:00",
    )
    again = {**first, "transaction_date": "2025-04-10 08:00:00"}
    no_date = {**first, "transaction_date": "", "next_payment_at": "2025-04-01"}

    assert idempotency_key(first) == "on_rebill_cancelled:ORDAB123:510003:2025-03-10 08:00:00"
    assert idempotency_key(again) == "on_rebill_cancelled:ORDAB123:510003:2025-04-10 08:00:00"
    assert idempotency_key(no_date) == "on_rebill_cancelled:ORDAB123:510003:2025-04-01"


def test_a_money_event_without_transaction_id_is_keyed_by_its_sequence():
    fields = build_ipn("on_payment", order_id="ORDAB123", transaction_id="", pay_sequence_no="2")
    assert idempotency_key(fields) == "on_payment:ORDAB123:510001:2:2025-03-01 10:15:00"


def test_an_overlong_key_is_shortened_to_a_digest():
    key = idempotency_key(build_ipn("on_payment", transaction_id="7" * 400))
    assert len(key) <= 255
    assert key.startswith("on_payment:sha256:")
    assert key == idempotency_key(build_ipn("on_payment", transaction_id="7" * 400))


# --- answers ---------------------------------------------------------------------------------


def test_the_answer_is_ok_with_the_member_area_as_login_url(settings):
    settings.SITE_URL = "https://kurse.example.test"
    delivery = VerifiedDelivery(event_id="x", event_type="on_payment", payload={})

    response = provider.acknowledge(delivery)

    assert response.status_code == 200
    assert response.content.decode() == "OK\nloginurl: https://kurse.example.test/members/\n"
    assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_the_registration_check_get_is_answered_ok_without_calling_the_intake():
    calls = []

    def intake(request):
        calls.append(request)
        return HttpResponse("intake")

    view = answer_registration_check(intake)
    factory = RequestFactory()

    for request in (factory.get(URL), factory.get(URL, {"event": "on_payment"}), factory.head(URL)):
        response = view(request)
        assert (response.status_code, response.content) == (200, b"OK")
    assert calls == []
    assert view(factory.post(URL, data="a=1", content_type=FORM)).content == b"intake"
    assert len(calls) == 1
    assert view.csrf_exempt is True


# --- when an event happened (issue 11, item 2) -----------------------------------------------


def _occurred_at(**fields: str) -> datetime:
    payload = {
        "fields": build_ipn("on_refund", **fields),
        "received_at": "2026-03-09T12:00:00+00:00",
    }
    (event,) = Digistore24Provider().to_domain_events(payload)
    return event.occurred_at


def test_the_time_of_day_is_read_from_transaction_time_in_berlin():
    assert _occurred_at(transaction_date="2026-03-01", transaction_time="16:00:00") == datetime(
        2026, 3, 1, 15, 0, tzinfo=UTC
    )
    # A date field that already holds the time is read as it is.
    assert _occurred_at(
        transaction_date="2026-07-01 16:00:00", transaction_time="09:00:00"
    ) == datetime(2026, 7, 1, 14, 0, tzinfo=UTC)


def test_a_malformed_transaction_time_names_both_fields():
    with pytest.raises(ValueError, match="transaction_date and transaction_time"):
        _occurred_at(transaction_date="2026-03-01", transaction_time="4pm")
