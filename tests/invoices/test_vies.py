"""The VAT id check against a stub of VIES's HTTP layer: what counts as valid, refused, or down."""

from __future__ import annotations

import pytest
import requests
import responses

from invoices.vies import Outcome, check_vies, format_problem, vat_id_country
from tests.invoices import vies_stub
from tests.invoices.helpers import make_seller

pytestmark = pytest.mark.django_db


@pytest.fixture
def vies():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_a_valid_id_keeps_the_consultation_number_and_names_us_as_requester(vies, settings):
    settings.VIES_TIMEOUT_SECONDS = 7
    make_seller(vat_id="DE 136 695 976")
    vies_stub.answer(vies, vies_stub.valid(name="ACME SARL", identifier="WAPI123"))

    answer = check_vies("FR 40 303 265 045")

    assert (answer.outcome, answer.name, answer.request_identifier) == (
        Outcome.VALID,
        "ACME SARL",
        "WAPI123",
    )
    assert vies_stub.sent(vies) == [
        {
            "countryCode": "FR",
            "vatNumber": "40303265045",
            "requesterMemberStateCode": "DE",
            "requesterNumber": "136695976",
        }
    ]
    assert vies.calls[0].request.req_kwargs["timeout"] == 7


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (vies_stub.MEMBER_STATE_DOWN, 200),
        ({"actionSucceed": False, "errorWrappers": [{"error": "TIMEOUT"}]}, 500),
        ({"valid": False, "userError": "MS_MAX_CONCURRENT_REQ"}, 200),
        ({"unexpected": "shape"}, 503),
    ],
)
def test_an_outage_is_unreachable_never_a_refusal(vies, body, status):
    vies_stub.answer(vies, body, status=status)

    answer = check_vies("FR40303265045")

    assert answer.outcome == Outcome.UNREACHABLE
    assert answer.reason.startswith("VIES could not answer")


def test_no_connection_or_a_timeout_is_unreachable(vies):
    vies_stub.unreachable(vies)
    vies.add(responses.POST, vies_stub.VIES_URL, body=requests.Timeout("read timed out"))

    first, second = check_vies("FR40303265045"), check_vies("FR40303265045")

    assert (first.outcome, second.outcome) == (Outcome.UNREACHABLE, Outcome.UNREACHABLE)
    assert "not reachable" in first.reason


def test_an_unregistered_id_or_bad_input_is_refused_with_the_reason(vies):
    vies_stub.answer(vies, vies_stub.NOT_REGISTERED)
    vies.add(
        responses.POST,
        vies_stub.VIES_URL,
        json={"actionSucceed": False, "errorWrappers": [{"error": "INVALID_INPUT"}]},
        status=400,
    )

    first, second = check_vies("FR40303265045"), check_vies("FR40303265045")

    assert (first.outcome, first.reason) == (
        Outcome.INVALID,
        "VIES: the VAT id is not registered (not valid).",
    )
    assert (second.outcome, second.reason) == (
        Outcome.INVALID,
        "VIES: the VAT id is not valid input.",
    )


@pytest.mark.parametrize(
    ("vat_id", "problem"),
    [
        ("FR40303265045", ""),
        ("fr 40-303.265.045", ""),
        ("FR41303265045", "The check digit of the VAT id is wrong."),
        ("DE12345", "The VAT id does not have the format of its country."),
        ("US123456789", "The VAT id does not start with the code of an EU member state."),
    ],
)
def test_format_and_check_digit_are_checked_offline(vat_id, problem):
    assert format_problem(vat_id) == problem


@pytest.mark.parametrize(
    ("vat_id", "country"),
    [("EL094259216", "GR"), ("atu13585627", "AT"), ("GB123456789", ""), ("", "")],
)
def test_the_id_prefix_names_the_member_state(vat_id, country):
    assert vat_id_country(vat_id) == country
