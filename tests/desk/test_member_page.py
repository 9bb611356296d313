"""The admin's member page: everything about one member, in a fixed number of queries."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoices.models import Document
from tests.desk.helpers import NOW, member_with_history, page_url
from tests.factories import UserFactory
from tests.invoices.helpers import make_seller

pytestmark = pytest.mark.django_db


def _get(client, url: str):
    with time_machine.travel(NOW, tick=False):
        return client.get(url)


def test_the_page_shows_profile_products_billing_usage_and_a_timeline(creator_client):
    make_seller()
    member, _grant, _lessons = member_with_history(2)

    response = _get(creator_client, page_url(member))

    assert response.status_code == 200
    page = response.content.decode()
    for seen in [
        "ada@x.test",
        "Ada Lovelace",
        "Europe/Berlin",
        "cus_ADA",  # profile
        "Habits",
        "active",
        "2026-03-30",  # product, until
        "cs_0",
        "in_1",
        "sub_1",  # order, payment, sub
        "203.0.113.9",  # download IP
        "SMTP 550",  # undelivered e-mail
        "gift 1",
        "evt_1",
        "asked 0",
        "payment in_1",  # ledger and timeline
    ]:
        assert seen in page, seen
    for document in Document.objects.all():
        assert document.number in page
    # the timeline is newest first
    assert page.index("asked 1") < page.index("asked 0")


def test_the_query_count_does_not_grow_with_the_history(creator_client, django_assert_num_queries):
    make_seller()
    small, _grant, _lessons = member_with_history(1, email="small@x.test")
    large, _grant, _lessons = member_with_history(200, email="large@x.test")
    # Warm caches (content types, session, each course's outline: bench/member_pages.py).
    _get(creator_client, page_url(small))
    _get(creator_client, page_url(large))

    with CaptureQueriesContext(connection) as small_queries:
        assert _get(creator_client, page_url(small)).status_code == 200
    with django_assert_num_queries(len(small_queries)):
        assert _get(creator_client, page_url(large)).status_code == 200


def test_search_finds_members_by_order_payment_and_customer_ids(creator_client):
    member, _grant, _lessons = member_with_history(1)
    UserFactory(email="bob@x.test")

    for term in ["ada@x", "Lovelace", "cs_0", "in_0", "cus_ADA", "sub_0"]:
        page = creator_client.get("/admin/members/user/", {"q": term}).content.decode()
        assert page_url(member) in page, term
        assert "bob@x.test" not in page, term


def test_staff_without_the_permission_cannot_see_it(client):
    member, _grant, _lessons = member_with_history(1)
    staff = UserFactory(email="helper@x.test", is_staff=True)
    client.force_login(staff)
    assert client.get(page_url(member)).status_code == 403

    staff.user_permissions.add(Permission.objects.get(codename="view_user"))
    page = client.get(page_url(member))
    assert page.status_code == 200
    assert "You may look at this page but not act on access." in page.content.decode()
    assert (
        client.post(page_url(member) + "login-link/", {"login-link-reason": "x"}).status_code == 403
    )
