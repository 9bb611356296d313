"""``base.html``'s head, header and footer come from a per-process cache (issue 20): every page
shows what the template wrote before, for each language, brand, login state and path, and each
request carries its own CSRF token."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.middleware.csrf import _unmask_cipher_token, get_token
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone, translation
from django.utils.html import escape

from branding.models import Branding
from branding.selectors import forget_brand
from members.models import User
from tests.members.helpers import make_member

pytestmark = pytest.mark.django_db
OLD_BASE = (
    Path(__file__).parent.parent / "fixtures/templates/base_before_site_chrome.html"
).read_text()
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def page(template: str, *, user, path: str, language: str) -> tuple[str, object]:
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.fallback import FallbackStorage

    request = RequestFactory().get(path)
    request.user = user or AnonymousUser()
    request.session = {}
    request._messages = FallbackStorage(request)
    with translation.override(language):
        return engines["django"].from_string(template).render({}, request), request


def tokens_of(html: str, request) -> list[str]:
    """The page's CSRF tokens, each checked to belong to the request's secret."""
    found = TOKEN.findall(html)
    secret = _unmask_cipher_token(get_token(request))
    assert all(_unmask_cipher_token(token) == secret for token in found)
    return found


@pytest.mark.parametrize("language", ["en", "de", "nl"])
@pytest.mark.parametrize("logged_in", [False, True])
def test_the_cached_chrome_writes_what_the_old_base_template_wrote(language, logged_in):
    Branding.objects.update_or_create(
        slot=1,
        defaults={"site_name": "Ada's <Coaching>", "imprint_url": "https://x.test/i?a=1&b=2"},
    )
    forget_brand()
    user: User | None = make_member() if logged_in else None
    for path in ("/members/", '/members/?next=<b>&x="1"', "/members/"):  # the last: cached
        new, new_request = page(
            '{% extends "base.html" %}', user=user, path=path, language=language
        )
        old, old_request = page(OLD_BASE, user=user, path=path, language=language)
        new_tokens, old_tokens = tokens_of(new, new_request), tokens_of(old, old_request)
        assert len(new_tokens) == len(old_tokens) == (2 if logged_in else 1)
        assert TOKEN.sub("", new) == TOKEN.sub("", old)
        assert f'name="next" type="hidden" value="{escape(new_request.get_full_path())}"' in new


def test_a_brand_link_cannot_ask_for_the_visitors_csrf_token():
    """The stand-ins the cached chrome replaces are not guessable: a footer link a creator
    types in is shown as typed, never with the visitor's token written into it."""
    from branding.templatetags import site_chrome

    for stand_in in ("csrfTokenStandInForTheSiteChrome", site_chrome._TOKEN[:4] + "0" * 32):
        link = f"https://x.test/?t={stand_in}"
        Branding.objects.update_or_create(slot=1, defaults={"imprint_url": link})
        forget_brand()
        html, request = page('{% extends "base.html" %}', user=None, path="/", language="en")

        assert f'href="{link}"' in html
        assert len(tokens_of(html, request)) == 1


# --- {% site_chrome_part %}: static runs of a page's own template --------------------------------

PARTS = (
    "{% load i18n site_chrome %}<p>{% site_chrome_part %}<a href=\"{% url 'invoices:list' %}\">"
    '{% translate "Your invoices" %}</a>{% csrf_token %}{% end_site_chrome_part %}</p>'
    "{% site_chrome_part %}<h2>{% translate 'Billing' %}</h2>{% end_site_chrome_part %}"
    "{% site_chrome_part %}[{{ user.email }}]{% end_site_chrome_part %}"
)
NO_PARTS = re.sub(r"{% (end_)?site_chrome_part %}", "", PARTS)


@pytest.mark.parametrize("language", ["en", "de", "nl"])
def test_each_part_writes_what_the_template_without_parts_wrote(language):
    ada, bob = make_member(email="ada@x.test"), make_member(email="bob@x.test")
    for user in (ada, bob, ada):  # the second and third from the cache
        new, new_request = page(PARTS, user=user, path="/members/profile/", language=language)
        old, old_request = page(NO_PARTS, user=user, path="/members/profile/", language=language)

        assert len(tokens_of(new, new_request)) == len(tokens_of(old, old_request)) == 1
        assert TOKEN.sub("", new) == TOKEN.sub("", old).replace(f"[{user.email}]", "[]")
        assert "[]" in new  # a part never shows a member's own data, so never another's


def test_the_profile_page_is_what_its_template_wrote_before_the_parts(client):
    member = make_member(email="ada@x.test", language="de")
    client.force_login(member)
    old_template = engines["django"].from_string(
        (Path(__file__).parent.parent / "fixtures/templates/profile_before_parts.html").read_text()
    )
    for _visit in range(2):
        response = client.get("/members/profile/")
        context = {key: response.context[key] for key in ("form", "billing_lines", "store_credit")}
        with translation.override("de"):
            old = old_template.render(context, response.wsgi_request)

        new = response.content.decode()
        assert len(tokens_of(new, response.wsgi_request)) == 6  # header, 4 forms, footer
        assert TOKEN.sub("", new) == TOKEN.sub("", old)
        assert "Deine Daten" in new


def test_templates_parsed_anew_do_not_grow_the_cache_without_bound():
    """Each parse numbers its parts anew (a template from a string, a loader without cache)."""
    from branding.templatetags import site_chrome

    member = make_member()
    for _ in range(site_chrome.MAX_PARTS * 3):
        page(PARTS, user=member, path="/members/", language="en")
    assert all(len(parts) <= site_chrome.MAX_PARTS for parts in site_chrome._cache.values())


@pytest.mark.parametrize("subscribed", [True, False])
def test_the_marketing_section_is_what_its_template_wrote_before_the_parts(client, subscribed):
    from sequences.services import set_marketing_emails

    member = make_member(language="nl")
    set_marketing_emails(member_pk=member.pk, subscribed=subscribed, now=timezone.now())
    client.force_login(member)
    old_template = engines["django"].from_string(
        (Path(__file__).parent.parent / "fixtures/templates/profile_marketing_before_parts.html")
        .read_text()
    )  # fmt: skip
    section = re.compile(r'<section class="card marketing-emails".*?</section>', re.S)
    for _visit in range(2):  # the second from the cache
        response = client.get("/members/profile/")
        new = section.search(response.content.decode())[0]
        with translation.override("nl"):
            old = old_template.render(
                {"subscribed": subscribed, "csrf_token": get_token(response.wsgi_request)},
                response.wsgi_request,
            )
        assert len(tokens_of(new, response.wsgi_request)) == 1
        assert TOKEN.sub("", new) == TOKEN.sub("", old.strip())
