"""Checking an EU VAT id: its format and check digit offline (python-stdnum), then the EU's VIES.

VIES is asked through its REST API (``POST .../vies/rest-api/check-vat-number`` with
``countryCode`` and ``vatNumber``, and the requester's own VAT id so the answer carries a
consultation number, ``requestIdentifier``, to keep as proof). A member state's register is
often down for minutes or hours: VIES then answers with an error code (``MS_UNAVAILABLE``,
``TIMEOUT``, ...), in ``errorWrappers`` or ``userError``, and that is reported as
``UNREACHABLE``, never as a refusal, so the caller retries later. Only a clear "not valid"
(or ``INVALID_INPUT``) refuses the id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat

logger = logging.getLogger(__name__)

VIES_URL = "https://ec.europa.eu/taxation_customs/vies/rest-api/check-vat-number"
# Answers that say "ask again later", not "this id is wrong".
TRANSIENT_ERRORS = frozenset(
    {
        "SERVICE_UNAVAILABLE",
        "MS_UNAVAILABLE",
        "TIMEOUT",
        "GLOBAL_MAX_CONCURRENT_REQ",
        "GLOBAL_MAX_CONCURRENT_REQ_TIME",
        "MS_MAX_CONCURRENT_REQ",
        "MS_MAX_CONCURRENT_REQ_TIME",
        "IP_BLOCKED",
        "VAT_BLOCKED",
        "INVALID_REQUESTER_INFO",
    }
)


class Outcome:
    VALID = "valid"
    INVALID = "invalid"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class ViesAnswer:
    outcome: str  # an Outcome value
    reason: str = ""  # why an id was refused, or why VIES could not answer
    name: str = ""
    address: str = ""
    request_identifier: str = ""


def vat_id_country(vat_id: str) -> str:
    """The ISO country of a VAT id's prefix (``EL`` is Greece, ``GR``); "" if not an EU id."""
    prefix = "".join(character for character in vat_id if character.isalnum())[:2].upper()
    country = "GR" if prefix == "EL" else prefix
    return country if country.lower() in eu_vat.MEMBER_STATES and country != "XI" else ""


def format_problem(vat_id: str) -> str:
    """Why the id cannot be a valid EU VAT id (format, length, check digit), or ""."""
    try:
        eu_vat.validate(vat_id)
    except stdnum_errors.InvalidChecksum:
        return str(_("The check digit of the VAT id is wrong."))
    except stdnum_errors.InvalidComponent:
        return str(_("The VAT id does not start with the code of an EU member state."))
    except stdnum_errors.ValidationError:
        return str(_("The VAT id does not have the format of its country."))
    return ""


def _requester() -> dict:
    """The seller's own VAT id, so VIES returns a consultation number (proof of the check)."""
    from invoices.models import SellerSettings

    seller = SellerSettings.objects.order_by("pk").first()
    own = seller.vat_id if seller is not None else ""
    if not own or format_problem(own):
        return {}
    number = eu_vat.compact(own)
    return {"requesterMemberStateCode": number[:2], "requesterNumber": number[2:]}


def check_vies(vat_id: str) -> ViesAnswer:
    """Ask VIES about a VAT id that passed ``format_problem``; never raises for network trouble."""
    number = eu_vat.compact(vat_id)
    body = {"countryCode": number[:2], "vatNumber": number[2:], **_requester()}
    try:
        response = requests.post(
            VIES_URL, json=body, timeout=settings.VIES_TIMEOUT_SECONDS, allow_redirects=False
        )
        data = response.json()
    except (requests.RequestException, ValueError) as error:
        logger.warning("VIES not reachable for %s: %s", number, error)
        return ViesAnswer(Outcome.UNREACHABLE, reason=f"VIES not reachable: {error}"[:500])
    if not isinstance(data, dict):
        return ViesAnswer(Outcome.UNREACHABLE, reason=f"VIES answered HTTP {response.status_code}")
    return _read_answer(data, status_code=response.status_code)


def _read_answer(data: dict, *, status_code: int) -> ViesAnswer:
    errors = [str(entry.get("error") or "") for entry in data.get("errorWrappers") or []]
    user_error = str(data.get("userError") or "")
    codes = [code for code in (*errors, user_error) if code and code not in {"VALID", "INVALID"}]
    if "INVALID_INPUT" in codes:
        return ViesAnswer(Outcome.INVALID, reason=str(_("VIES: the VAT id is not valid input.")))
    if codes or data.get("actionSucceed") is False or status_code >= 400 or "valid" not in data:
        code = ", ".join(codes) or f"HTTP {status_code}"
        return ViesAnswer(Outcome.UNREACHABLE, reason=f"VIES could not answer: {code}")
    if data.get("valid") is not True:
        return ViesAnswer(
            Outcome.INVALID, reason=str(_("VIES: the VAT id is not registered (not valid)."))
        )
    return ViesAnswer(
        Outcome.VALID,
        name=str(data.get("name") or "").strip("- "),
        address=str(data.get("address") or "").strip("- "),
        request_identifier=str(data.get("requestIdentifier") or ""),
    )
