"""Signed confirmation links: which sign-up, and when the link was made.

The token is ``django.core.signing`` over the sign-up's and the product's pk, with a timestamp:
it cannot be guessed or changed, it expires after ``LINK_MAX_AGE``, and it works once, because
confirming sets ``SignUp.confirmed_at`` (a repeat sign-up opens a new pending row). An expired
link still names its product, so its page can offer a new link for the same product.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing

LINK_MAX_AGE = timedelta(days=7)
SALT = "leads.confirmation-link"


@dataclass(frozen=True)
class LinkData:
    signup_pk: int
    product_pk: int
    expired: bool


def make_token(*, signup_pk: int, product_pk: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"s": signup_pk, "p": product_pk})


def read_token(token: str) -> LinkData | None:
    """The link's sign-up and product; None if the token is forged or malformed."""
    signer = signing.TimestampSigner(salt=SALT)
    expired = False
    try:
        data = signer.unsign_object(token, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        expired = True
        try:
            data = signer.unsign_object(token)
        except signing.BadSignature:
            return None
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return None
    if not (isinstance(data, dict) and isinstance(data.get("s"), int)):
        return None
    if not isinstance(data.get("p"), int):
        return None
    return LinkData(signup_pk=data["s"], product_pk=data["p"], expired=expired)
