"""VIES answers for tests, served by ``responses`` at the HTTP layer of ``requests``.

The shapes follow the EU's REST API (``POST .../vies/rest-api/check-vat-number``): a decided
answer has ``valid`` and, when a requester was named, ``requestIdentifier``; an outage answers
``actionSucceed: false`` with ``errorWrappers`` (or an HTTP 5xx, or nothing at all).
"""

from __future__ import annotations

import json

import requests
import responses

from invoices.vies import VIES_URL


def valid(name: str = "ACME SARL", identifier: str = "WAPIAAAAZ1ab2Cd3") -> dict:
    return {
        "countryCode": "FR",
        "vatNumber": "40303265045",
        "requestDate": "2026-12-02T10:00:00.000Z",
        "valid": True,
        "requestIdentifier": identifier,
        "name": name,
        "address": "1 RUE DE LA PAIX\n75002 PARIS",
    }


NOT_REGISTERED = {"countryCode": "FR", "vatNumber": "40303265045", "valid": False, "name": "---"}
MEMBER_STATE_DOWN = {"actionSucceed": False, "errorWrappers": [{"error": "MS_UNAVAILABLE"}]}


def answer(mock: responses.RequestsMock, body: dict, *, status: int = 200) -> None:
    mock.add(responses.POST, VIES_URL, json=body, status=status)


def unreachable(mock: responses.RequestsMock) -> None:
    mock.add(responses.POST, VIES_URL, body=requests.ConnectionError("no route to VIES"))


def sent(mock: responses.RequestsMock) -> list[dict]:
    """The JSON bodies our client POSTed to VIES, in order."""
    return [json.loads(call.request.body) for call in mock.calls]
