import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

pytestmark = pytest.mark.django_db


def test_public_pages_answer(client):
    for url in ("/", "/admin/login/", "/accounts/login/", "/healthz"):
        assert client.get(url).status_code == 200, url


def test_member_area_sends_visitors_to_login(client):
    response = client.get("/members/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/members/"


def test_one_account_per_address_whatever_the_case():
    users = get_user_model().objects
    users.create_user("Ada@Example.test", "pw-1-long-enough")

    with pytest.raises(IntegrityError), transaction.atomic():
        users.create_user("ada@example.TEST", "pw-2-long-enough")
    assert users.count() == 1


def test_login_by_email_is_case_insensitive(client):
    get_user_model().objects.create_user("Ada@Example.test", "pw-1-long-enough")

    response = client.post(
        "/accounts/login/", {"login": "ADA@example.test", "password": "pw-1-long-enough"}
    )

    assert response.status_code == 302
    assert client.get("/members/").status_code == 200


def test_public_sign_up_is_closed_by_default(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.test", "password1": "Xy7!long-pass", "password2": "Xy7!long-pass"},
    )

    assert "Sign-up is closed" in response.content.decode()
    assert not get_user_model().objects.filter(email="new@example.test").exists()


def test_sign_up_can_be_opened_by_setting(client, settings):
    settings.ACCOUNT_SIGNUP_OPEN = True

    client.post(
        "/accounts/signup/",
        {"email": "new@example.test", "password1": "Xy7!long-pass", "password2": "Xy7!long-pass"},
    )

    assert get_user_model().objects.filter(email="new@example.test").exists()


def test_repeated_failed_logins_lock_the_address_for_a_while(client):
    get_user_model().objects.create_user("ada@example.test", "pw-1-long-enough")
    for _ in range(5):
        client.post("/accounts/login/", {"login": "ada@example.test", "password": "wrong"})

    response = client.post(
        "/accounts/login/", {"login": "ada@example.test", "password": "pw-1-long-enough"}
    )

    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert client.get("/members/").status_code == 302
