"""``request.user`` from the session with the user row read by SQL written once (issue 20).

Django's ``AuthenticationMiddleware`` asks the session's backend for the user, and the model
backend builds and compiles ``User.objects.get(pk=...)`` on every request. Here the row comes from
``membership_site.rows`` and goes through the same checks, in the same order, as
``django.contrib.auth.get_user``: the backend named in the session is configured and reads users
by primary key (``ModelBackend.get_user``, allauth's backend inherits it), the user may
authenticate (``user_can_authenticate``: active), and the session's hash matches the user's
current one (password and ``session_generation``, with the current secret).

Only a session that passes every check is answered here. Anything else (no session, another
backend, an unknown or inactive user, a hash from an old password or an old secret) goes to
Django's own ``get_user``, which flushes or re-keys the session as it always has. Nothing is
cached between requests: a changed password or "log out other sessions" counts at once.

``request.user`` stays lazy until something reads it, as with Django (a database error then
surfaces where the page reads it, inside every middleware). Once read, ``request.user`` is the
user itself: each attribute read through ``SimpleLazyObject`` costs a failed lookup and a proxy
call, about 10,000 instructions, and a member page makes 8-20 of them.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject
from django.utils.module_loading import import_string

from members.models import User
from membership_site.rows import columns_for, fetch_one


@cache
def _reads_users_by_pk(backend_path: str) -> bool:
    """The backend loads a user exactly as ``ModelBackend`` does (by pk, active users only)."""
    backend = import_string(backend_path)
    return (
        getattr(backend, "get_user", None) is ModelBackend.get_user
        and getattr(backend, "user_can_authenticate", None) is ModelBackend.user_can_authenticate
    )


@cache
def _user_sql(vendor: str) -> str:
    return f"SELECT {columns_for(User, 'u').sql} FROM {User._meta.db_table} u WHERE u.id = %s"  # noqa: S608 - names from the model


def _verified_session_user(request) -> User | None:
    """The session's user if every check of Django's ``get_user`` passes at first try."""
    session = request.session
    try:
        user_pk = User._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except (KeyError, ValidationError):
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    if not _reads_users_by_pk(backend_path):
        return None
    row = fetch_one(_user_sql(connection.vendor), [user_pk])
    if row is None:
        return None
    user = columns_for(User, "u").build(row)
    if not ModelBackend().user_can_authenticate(user):
        return None
    session_hash = session.get(HASH_SESSION_KEY)
    if not session_hash or not constant_time_compare(session_hash, user.get_session_auth_hash()):
        return None
    return user


def get_user(request):
    """``django.contrib.auth.middleware.get_user``, trying the checked fast path first."""
    if not hasattr(request, "_cached_user"):
        request._cached_user = _verified_session_user(request) or auth.get_user(request)
    return request._cached_user


def _lazy_user(request) -> SimpleLazyObject:
    """``request.user`` as Django sets it, that puts the user itself in its place once read,
    unless something (``login``, ``logout``) has put another user there in the meantime."""

    def load():
        user = get_user(request)
        if request.__dict__.get("user") is lazy:
            request.user = user
        return user

    lazy = SimpleLazyObject(load)
    return lazy


class SessionUserMiddleware(AuthenticationMiddleware):
    """Django's ``AuthenticationMiddleware`` with ``get_user`` above (``request.auser`` as is)."""

    def process_request(self, request) -> None:
        super().process_request(request)
        request.user = _lazy_user(request)
