import pytest
from django.urls import reverse

from members.models import AccessGrant
from tests.factories import GrantFactory

pytestmark = pytest.mark.django_db


def test_support_can_revoke_and_give_back_access_with_an_audit_row_naming_them(
    creator_client, creator
):
    grant = GrantFactory(member__email="ada@x.test")
    changelist = reverse("admin:members_accessgrant_changelist")

    creator_client.post(changelist, {"action": "revoke_access", "_selected_action": [grant.pk]})
    grant.refresh_from_db()
    assert grant.state == AccessGrant.State.REVOKED

    creator_client.post(changelist, {"action": "restore_access", "_selected_action": [grant.pk]})
    grant.refresh_from_db()
    assert grant.state == AccessGrant.State.ACTIVE
    rows = list(grant.events.values_list("kind", "actor", "reason"))
    assert rows == [
        ("revoked", creator.pk, "revoked by support"),
        ("reactivated", creator.pk, "given by support"),
    ]


def test_grant_page_shows_the_audit_trail_and_cannot_be_edited(creator_client):
    grant = GrantFactory(member__email="ada@x.test", product__name="Habits")
    grant.events.create(kind="granted", at=grant.starts_at, reason="stripe checkout")
    url = reverse("admin:members_accessgrant_change", args=[grant.pk])

    html = creator_client.get(url).content.decode()
    creator_client.post(url, {"state": "revoked"})

    assert "stripe checkout" in html
    assert 'name="state"' not in html
    grant.refresh_from_db()
    assert grant.state == AccessGrant.State.ACTIVE
