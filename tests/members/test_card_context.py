"""``{% card_context %}`` reads the language, zone and URL settings once for all dashboard cards;
the cards are the ones each card writes when it reads them itself."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from tests.members.test_dashboard_cards import items

pytestmark = pytest.mark.django_db

SHARED = (
    "{% card_context as cards %}{% for item in items %}{% product_card item cards %}{% endfor %}"
)
EACH = "{% for item in items %}{% product_card item %}{% endfor %}"


@pytest.mark.parametrize("language", ["en", "de", "nl"])
@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Pacific/Kiritimati"])
def test_cards_with_one_context_are_the_cards_each_writes_alone(language, zone):
    cards = items()
    shared, each = (Template("{% load member_pages %}" + text) for text in (SHARED, EACH))
    with translation.override(language), timezone.override(zone):
        written = shared.render(Context({"items": cards}))
        assert written == each.render(Context({"items": cards}))
    assert written.count('class="card product-card') == len(cards)


def test_the_context_follows_the_language_and_zone_it_was_read_in():
    cards = items()
    shared = Template("{% load member_pages %}" + SHARED)
    with translation.override("de"), timezone.override("Pacific/Kiritimati"):
        german = shared.render(Context({"items": cards}))
    with translation.override("en"), timezone.override("America/Los_Angeles"):
        english = shared.render(Context({"items": cards}))
    assert "Weiter" in german or "Aktiv" in german
    assert german != english
