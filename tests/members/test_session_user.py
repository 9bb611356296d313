"""Who a session belongs to (``members.session_user``, issue 20): the fast path lets in exactly
the sessions Django's own ``get_user`` lets in, and every other one is answered as Django does."""

from __future__ import annotations

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.test import Client, override_settings

from tests.members.helpers import make_member

pytestmark = pytest.mark.django_db
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
ALLAUTH_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


def logged_in(backend: str = MODEL_BACKEND, **fields) -> tuple[Client, object]:
    member = make_member(**fields)
    client = Client()
    client.force_login(member, backend=backend)
    return client, member


def sees_dashboard(client: Client) -> bool:
    response = client.get("/members/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


@pytest.mark.parametrize("backend", [MODEL_BACKEND, ALLAUTH_BACKEND])
def test_a_member_logged_in_through_either_backend_sees_their_page(backend):
    client, member = logged_in(backend, name="Ada Example")

    response = client.get("/members/profile/")

    assert response.status_code == 200
    assert 'value="Ada Example"' in response.content.decode()


def test_a_new_password_set_elsewhere_logs_the_old_session_out():
    client, member = logged_in()
    member.set_password("a-brand-new-password-2026")
    member.save()

    assert not sees_dashboard(client)
    assert not sees_dashboard(client)  # the session was flushed, not just refused once


def test_a_deactivated_member_is_logged_out():
    client, member = logged_in()
    member.is_active = False
    member.save()

    assert not sees_dashboard(client)


def test_an_erased_member_is_logged_out():
    client, member = logged_in()
    member.delete()

    assert not sees_dashboard(client)


def test_a_session_naming_a_backend_no_longer_configured_is_anonymous():
    client, _member = logged_in()
    session = client.session
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.RemoteUserBackend"
    session.save()

    assert not sees_dashboard(client)


def test_a_session_signed_with_a_rotated_secret_stays_logged_in():
    with override_settings(SECRET_KEY="the-old-secret-" + "x" * 40):
        client, _member = logged_in()
    with override_settings(
        SECRET_KEY="the-new-secret-" + "y" * 40,
        SECRET_KEY_FALLBACKS=["the-old-secret-" + "x" * 40],
    ):
        assert sees_dashboard(client)
        assert sees_dashboard(client)  # re-hashed with the new secret on the first request


def _request_through_middleware(client: Client):
    """A request as the view sees it, after ``SessionUserMiddleware``."""
    from django.test import RequestFactory

    from members.session_user import SessionUserMiddleware

    request = RequestFactory().get("/members/")
    request.session = client.session
    SessionUserMiddleware(lambda request: None).process_request(request)
    return request


def test_request_user_becomes_the_member_once_read():
    client, member = logged_in()
    request = _request_through_middleware(client)

    lazy = request.user
    assert lazy.pk == member.pk  # the first read loads the user through the lazy object

    assert type(request.user) is type(member)
    assert request.user.pk == member.pk
    assert lazy.email == member.email  # what the view held before stays usable


def test_a_login_during_the_request_is_not_undone_by_a_late_read():
    from django.contrib.auth import login

    client, _member = logged_in()
    other = make_member()
    request = _request_through_middleware(client)
    earlier = request.user  # not read yet

    login(request, other, backend=MODEL_BACKEND)
    assert earlier.is_authenticated  # the lazy object is read only now

    assert request.user is other
