"""The demo's "Starter checklist (free)" is no longer a dead end: its page has the form, and a
confirmed sign-up opens the checklist's download in the member area."""

from __future__ import annotations

import pytest

from members.models import AccessGrant
from products.demo import seed_demo_catalog
from tests.leads.helpers import form_data, link_path

pytestmark = pytest.mark.django_db


def test_the_demo_lead_magnet_can_be_claimed(client, post_committed, mailoutbox):
    checklist = seed_demo_catalog()["starter-checklist"]
    page = client.get("/products/starter-checklist/").content.decode()
    assert 'action="/free/starter-checklist/"' in page

    post_committed("/free/starter-checklist/", form_data())
    landing = client.post(link_path(mailoutbox[0]))
    assert landing.url == "/members/products/starter-checklist/"

    assert AccessGrant.objects.get().product == checklist
    area = client.get(landing.url).content.decode()
    assert "Starter checklist" in area
    assert "/members/downloads/" in area  # the download link is there
