"""The coupon form in the creator's language."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "percent", "fixed"), [
    ("de", "Rabatt in Prozent", "Rabatt als fester Betrag"),
    ("nl", "korting in procent", "korting als vast bedrag"),
])  # fmt: skip
def test_the_discount_type_reads_as_a_phrase(creator_client, language, percent, fixed):
    """A German creator read "Prozent Rabatt" and "fester Betrag Rabatt" (words strung together)
    as the discount type and the percent field's label."""
    html = creator_client.get("/admin/offers/coupon/add/", HTTP_ACCEPT_LANGUAGE=language)
    html = html.content.decode()

    assert f">{percent[0].upper() + percent[1:]}:</label>" in html
    assert f">{percent}</option>" in html
    assert f">{fixed}</option>" in html
