"""German and Dutch: complete catalogs, compiled, and pages that speak the visitor's language."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from tests.factories import GrantFactory, PriceFactory, UserFactory

LOCALE = Path(settings.BASE_DIR) / "locale"


def po_entries(path: Path) -> list[dict]:
    """The entries of a .po file (msgctxt, msgid, msgid_plural, msgstr…, flags); no header."""
    entries, entry, field = [], {"flags": ""}, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if "msgid" in entry:
                entries.append(entry)
            entry, field = {"flags": ""}, None
        elif line.startswith("#,"):
            entry["flags"] += line[2:]
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[field] += ast.literal_eval(line)
        else:
            field, _, value = line.partition(" ")
            entry[field] = ast.literal_eval(value)
    return [entry for entry in entries if entry["msgid"]]


@pytest.mark.parametrize("language", ["de", "nl"])
def test_every_string_is_translated_and_compiled(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    entries = po_entries(po)
    assert len(entries) > 400
    untranslated = [
        entry["msgid"]
        for entry in entries
        if "fuzzy" in entry["flags"]
        or not all(entry[key] for key in entry if key.startswith("msgstr"))
    ]
    assert untranslated == []
    # The committed .mo says what the .po says: nobody forgot `compilemessages`.
    stale = []
    with translation.override(language):
        for entry in entries:
            if "msgid_plural" in entry:
                got = translation.ngettext(entry["msgid"], entry["msgid_plural"], 1)
                expected = entry["msgstr[0]"]
            elif "msgctxt" in entry:
                got = translation.pgettext(entry["msgctxt"], entry["msgid"])
                expected = entry["msgstr"]
            else:
                got, expected = translation.gettext(entry["msgid"]), entry["msgstr"]
            if got != expected:
                stale.append(entry["msgid"])
    assert stale == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "heading", "button"),
    [("de-DE,de;q=0.9", "Produkte", "Ansehen"), ("nl", "Producten", "Bekijken")],
)
def test_the_catalog_speaks_the_browsers_language(client, accept, heading, button):
    PriceFactory(product__name="Habit course", amount=4900)

    page = client.get("/", HTTP_ACCEPT_LANGUAGE=accept).content.decode()

    assert f"<h1>{heading}</h1>" in page
    assert button in page
    assert f'<html lang="{accept[:2]}"' in page


@pytest.mark.django_db
def test_a_member_reads_their_dashboard_in_their_own_language(client):
    member = UserFactory(language="nl")
    GrantFactory(member=member)
    client.force_login(member)

    page = client.get("/members/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Mijn producten" in page
    assert "My products" not in page


@pytest.mark.django_db
def test_the_language_switcher_keeps_the_choice(client):
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    assert response.status_code == 302
    assert "Produkte" in client.get("/").content.decode()


@pytest.mark.django_db
def test_each_language_is_offered_in_its_own_name(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    for own_name in ("English", "Deutsch", "Nederlands"):
        assert f">{own_name}</option>" in page


@pytest.mark.django_db
def test_a_member_switching_language_keeps_it_on_their_profile(client):
    member = UserFactory(language="en")
    client.force_login(member)

    client.post("/i18n/setlang/", {"language": "de", "next": "/members/"})

    member.refresh_from_db()
    assert member.language == "de"
    assert "Meine Produkte" in client.get("/members/").content.decode()
    client.post("/i18n/setlang/", {"language": "xx", "next": "/members/"})
    member.refresh_from_db()
    assert member.language == "de"  # an unknown language changes nothing
