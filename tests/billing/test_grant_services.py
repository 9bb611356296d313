"""Grant writes: each change leaves one audit row; repeated or late calls change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from billing.models import Order
from members.models import AccessGrant, GrantEvent
from members.services import (
    end_grant,
    find_or_create_member,
    grant_access,
    move_to_grace,
    restore_grant,
)
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def kinds(grant: AccessGrant) -> list[str]:
    return list(grant.events.values_list("kind", flat=True))


@pytest.fixture
def grant():
    return grant_access(
        member=UserFactory(),
        product=ProductFactory(),
        order=None,
        paid_through=NOW + timedelta(days=30),
        source="stripe",
        now=NOW,
        is_test=True,
    )


def test_one_account_per_address_whatever_the_case(db):
    first, created = find_or_create_member(email=" Ada@Example.TEST ", now=NOW)
    again, created_again = find_or_create_member(email="ada@example.test", now=NOW)
    assert (created, created_again) == (True, False)
    assert first == again
    assert first.email == "Ada@example.test"
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory._meta.model.objects.create(email="ADA@example.test")


@pytest.mark.parametrize(
    ("bought_in", "language"), [("de", "de"), ("nl-NL", "nl"), ("fr", ""), ("", "")]
)
def test_a_new_member_keeps_the_language_they_bought_in(db, bought_in, language):
    member, _created = find_or_create_member(email="ada@x.test", language=bought_in, now=NOW)
    assert member.language == language


def test_a_missing_address_is_refused(db):
    with pytest.raises(ValueError, match="no usable e-mail address"):
        find_or_create_member(email="", now=NOW)


def test_an_older_payment_never_shortens_paid_through(grant):
    grant_access(
        member=grant.member, product=grant.product, order=None,
        paid_through=NOW + timedelta(days=10), source="stripe", now=NOW,
    )  # fmt: skip
    grant.refresh_from_db()
    assert grant.paid_through == NOW + timedelta(days=30)
    assert kinds(grant) == ["granted"]


def test_lifetime_purchase_wins_over_a_paid_through_date(grant):
    grant_access(
        member=grant.member, product=grant.product, order=None,
        paid_through=None, source="stripe", now=NOW,
    )  # fmt: skip
    grant.refresh_from_db()
    assert grant.paid_through is None
    assert kinds(grant) == ["granted", "extended"]


def test_grace_and_restore_happen_once_each(grant):
    assert move_to_grace(grant_pk=grant.pk, now=NOW, reason="card declined") is True
    assert move_to_grace(grant_pk=grant.pk, now=NOW, reason="card declined") is False
    assert restore_grant(grant_pk=grant.pk, now=NOW, reason="paid") is True
    assert restore_grant(grant_pk=grant.pk, now=NOW, reason="paid") is False
    assert kinds(grant) == ["granted", "grace", "restored"]


def test_end_is_final_and_audited_once(grant):
    assert end_grant(grant_pk=grant.pk, state="revoked", now=NOW, reason="refund") is True
    assert end_grant(grant_pk=grant.pk, state="expired", now=NOW, reason="late") is False
    grant.refresh_from_db()
    assert (grant.state, grant.end_reason, grant.ended_at) == ("revoked", "refund", NOW)
    assert GrantEvent.objects.filter(grant=grant, kind="revoked").count() == 1
    with pytest.raises(ValueError, match="expired or revoked"):
        end_grant(grant_pk=grant.pk, state="active", now=NOW, reason="")


def test_a_late_payment_for_a_long_gone_period_does_not_reactivate(grant):
    end_grant(grant_pk=grant.pk, state="expired", now=NOW, reason="lapsed")
    grant_access(
        member=grant.member, product=grant.product, order=None,
        paid_through=NOW - timedelta(days=30), source="stripe", now=NOW,
    )  # fmt: skip
    grant.refresh_from_db()
    assert grant.state == "expired"
    assert kinds(grant) == ["granted", "expired"]


def test_repurchase_restarts_drip_when_the_product_says_so(grant):
    grant.product.restart_drip_on_repurchase = True
    grant.product.save()
    end_grant(grant_pk=grant.pk, state="expired", now=NOW, reason="lapsed")
    later = NOW + timedelta(days=90)
    new_order = Order.objects.create(
        member=grant.member, product=grant.product, provider="stripe", provider_ref="cs_again",
        status=Order.Status.PAID, amount=4900, currency="EUR",
    )  # fmt: skip
    grant_access(
        member=grant.member, product=grant.product, order=new_order,
        paid_through=None, source="stripe", now=later,
    )  # fmt: skip
    grant.refresh_from_db()
    assert (grant.state, grant.starts_at, grant.paid_through) == ("active", later, None)
    assert kinds(grant) == ["granted", "expired", "reactivated"]
