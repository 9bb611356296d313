"""The creator's admin: the consent text per product, sign-ups and consents listed, searchable
and read-only; consents are append-only (on PostgreSQL the database refuses changes too)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client

from leads.models import Consent, LeadMagnet, SignUp
from members.models import AppendOnlyError
from tests.leads.helpers import form_data, free_product, link_path, signup_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed_and_pending(django_capture_on_commit_callbacks, mailoutbox):
    visitor = Client()  # not the creator's client
    product = free_product()
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post(signup_url(product), form_data(email="ada@example.test", name="Ada"))
        visitor.post(signup_url(product), form_data(email="bob@example.test", name="Bob"))
    visitor.post(link_path(mailoutbox[0]))
    return product


def test_sign_ups_are_listed_searchable_and_filtered(creator_client, confirmed_and_pending):
    page = creator_client.get("/admin/leads/signup/").content.decode()
    assert "ada@example.test" in page
    assert "bob@example.test" in page

    found = creator_client.get("/admin/leads/signup/?q=bob").content.decode()
    assert "bob@example.test" in found
    assert "ada@example.test" not in found

    pending = creator_client.get("/admin/leads/signup/?confirmed=no").content.decode()
    assert "bob@example.test" in pending
    assert "ada@example.test" not in pending


def test_sign_ups_and_consents_are_read_only(creator_client, confirmed_and_pending):
    signup = SignUp.objects.get(email="ada@example.test")
    consent = Consent.objects.get()
    assert creator_client.get("/admin/leads/signup/add/").status_code == 403
    assert creator_client.get("/admin/leads/consent/add/").status_code == 403
    page = creator_client.get(f"/admin/leads/consent/{consent.pk}/change/").content.decode()
    assert "I agree to receive this free product" in page
    assert 'name="text"' not in page  # shown, not editable
    assert (
        creator_client.post(
            f"/admin/leads/consent/{consent.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert (
        creator_client.post(f"/admin/leads/signup/{signup.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Consent.objects.count() == 1

    found = creator_client.get("/admin/leads/consent/?q=ada@").content.decode()
    assert "ada@example.test" in found


def test_the_creator_sets_the_consent_text_per_product(creator_client):
    product = free_product()
    response = creator_client.post(
        "/admin/leads/leadmagnet/add/",
        {"product": product.pk, "consent_text": "Send me the checklist and the newsletter."},
    )
    assert response.status_code == 302
    assert LeadMagnet.objects.get().consent_text == "Send me the checklist and the newsletter."
    page = creator_client.get(product.get_catalog_url()).content.decode()
    assert "Send me the checklist and the newsletter." in page


def test_the_orm_refuses_to_change_or_delete_a_consent(confirmed_and_pending):
    consent = Consent.objects.get()
    consent.text = "rewritten"
    with pytest.raises(AppendOnlyError):
        consent.save()
    with pytest.raises(AppendOnlyError):
        consent.delete()
    with pytest.raises(AppendOnlyError):
        Consent.objects.update(text="rewritten")
    with pytest.raises(AppendOnlyError):
        Consent.objects.all().delete()
    assert Consent.objects.get().text.startswith("I agree to receive")


@pytest.mark.parametrize(
    "sql", ["UPDATE leads_consent SET text = 'rewritten'", "DELETE FROM leads_consent"]
)
def test_on_postgresql_the_database_refuses_update_and_delete(
    postgres_only, confirmed_and_pending, sql
):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        connection.cursor().execute(sql)
    assert Consent.objects.get().text.startswith("I agree to receive")
