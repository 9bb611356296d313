"""A visitor who signs up in German (or Dutch) reads the form, the answers and the
confirmation e-mail in that language, and becomes a member who speaks it."""

from __future__ import annotations

import pytest

from leads.models import Consent
from members.models import User
from tests.leads.helpers import form_data, free_product, link_path, signup_url

pytestmark = pytest.mark.django_db


def test_a_german_visitor_signs_up_and_confirms_in_german(client, post_committed, mailoutbox):
    product = free_product()
    german = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}

    page = client.get(product.get_catalog_url(), **german).content.decode()
    assert "Ich möchte dieses kostenlose Produkt" in page
    assert "Schick es mir" in page

    refused = post_committed(signup_url(product), form_data(consent=""), **german)
    assert "Setz das Häkchen, um zuzustimmen" in refused.content.decode()

    answer = post_committed(signup_url(product), form_data(), **german)
    assert "Schau in dein Postfach" in answer.content.decode()

    (message,) = mailoutbox
    assert message.subject == (
        "Bestätige deine E-Mail-Adresse, um „Starter checklist (free)“ zu bekommen"
    )
    assert "läuft in 7 Tagen ab" in message.body
    assert "Meine Adresse bestätigen" in message.alternatives[0][0]
    assert 'lang="de"' in message.alternatives[0][0]

    confirm = client.get(link_path(message), **german).content.decode()
    assert "Bestätigen und „Starter checklist (free)“ bekommen" in confirm

    client.post(link_path(message), **german)
    assert User.objects.get().language == "de"
    consent = Consent.objects.get()
    assert consent.language == "de"
    assert consent.text.startswith("Ich möchte dieses kostenlose Produkt")  # the text as shown


def test_a_dutch_visitor_gets_a_dutch_e_mail(post_committed, mailoutbox):
    product = free_product()
    post_committed(signup_url(product), form_data(), HTTP_ACCEPT_LANGUAGE="nl")
    (message,) = mailoutbox
    assert "Bevestig je e-mailadres" in message.subject
    assert "verloopt over 7 dagen" in message.body
