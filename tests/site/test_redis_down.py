"""A Redis that is down costs rate limiting and the session cache, never a page (no 500)."""

from __future__ import annotations

import logging
import os

import pytest

from tests.factories import UserFactory
from tests.site.test_settings import PRODUCTION, manage

pytestmark = pytest.mark.django_db

CLOSED_PORT = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(settings, caplog):
    """The cache and sessions as settings.py configures them for REDIS_URL, on a closed port."""
    settings.CACHES = {
        "default": {"BACKEND": "membership_site.cache.FailOpenRedisCache", "LOCATION": CLOSED_PORT}
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    caplog.set_level(logging.WARNING, logger="membership_site.cache")
    return caplog


def cache_warnings(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "membership_site.cache" and record.levelno == logging.WARNING
    ]


def test_redis_url_selects_the_fail_open_cache(tmp_path):
    env = {**PRODUCTION, "REDIS_URL": CLOSED_PORT}
    code = (
        "from django.conf import settings; "
        "print(settings.CACHES['default']['BACKEND'], settings.SESSION_ENGINE)"
    )

    result = manage("shell", "-v", "0", "-c", code, env=env, tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "membership_site.cache.FailOpenRedisCache",
        "django.contrib.sessions.backends.cached_db",
    ]


def test_password_login_works_while_redis_is_down(client, redis_down):
    UserFactory(email="ada@x.test", password="the-right-pass-42")

    page = client.get("/accounts/login/")
    wrong = client.post("/accounts/login/", {"login": "ada@x.test", "password": "wrong-pass-1"})
    right = client.post(
        "/accounts/login/", {"login": "ada@x.test", "password": "the-right-pass-42"}
    )
    dashboard = client.get("/members/")  # the session is read back from the database

    assert (page.status_code, wrong.status_code, right.status_code) == (200, 200, 302)
    assert b"The email address and/or password you specified are not correct." in wrong.content
    assert right.url == "/members/"
    assert dashboard.status_code == 200
    (warning, *_) = cache_warnings(redis_down)
    assert "Redis cache unavailable" in warning
    assert "rate limits are not counted" in warning


def test_logout_works_while_redis_is_down(client, redis_down):
    UserFactory(email="ada@x.test", password="the-right-pass-42")
    client.post("/accounts/login/", {"login": "ada@x.test", "password": "the-right-pass-42"})

    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/members/").status_code == 302  # logged out: the login page


def test_login_links_and_the_admin_login_work_while_redis_is_down(
    client, post_committed, redis_down, mailoutbox
):
    member = UserFactory(email="ada@x.test")
    UserFactory(email="boss@x.test", password="the-boss-pass-42", is_staff=True)

    requested = post_committed("/login/new/", {"email": "ada@x.test"})
    admin_wrong = client.post("/admin/login/", {"username": "boss@x.test", "password": "nope"})
    admin_right = client.post(
        "/admin/login/", {"username": "boss@x.test", "password": "the-boss-pass-42"}
    )

    assert requested.status_code == 200
    assert [message.to for message in mailoutbox] == [[member.email]]
    assert admin_wrong.status_code == 200
    assert admin_right.status_code == 302
    assert cache_warnings(redis_down)


def test_after_a_failure_redis_is_left_alone_for_a_moment(redis_down):
    from django.core.cache import cache

    for _ in range(5):
        assert cache.get("anything", "fallback") == "fallback"
        assert cache.add("lock", 1) is True  # fails open: allauth's rate-limit lock is taken
        assert cache.incr("counter") == 1

    assert len(cache_warnings(redis_down)) == 1


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="runs when REDIS_URL is set (CI)")
def test_with_redis_up_the_cache_is_redis_and_logs_nothing(settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "membership_site.cache.FailOpenRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
    caplog.set_level(logging.WARNING, logger="membership_site.cache")
    from django.core.cache import cache

    cache.delete("fail-open-probe")
    assert cache.add("fail-open-probe", 5, timeout=30) is True
    assert cache.add("fail-open-probe", 9, timeout=30) is False  # a real add, not the fallback
    assert cache.incr("fail-open-probe") == 6
    assert cache.get("fail-open-probe") == 6
    cache.delete("fail-open-probe")
    assert cache_warnings(caplog) == []
