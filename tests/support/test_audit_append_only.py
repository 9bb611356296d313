"""Audit rows (grant events, store-credit entries, member events) cannot be rewritten."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from members.credit import add_store_credit
from members.models import AppendOnlyError, GrantEvent, MemberEvent, StoreCreditEntry
from members.support import grant_complimentary
from members.support_emails import send_fresh_login_link
from tests.factories import ProductFactory, UserFactory
from tests.support.helpers import NOW, everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(creator):
    ada = UserFactory(email="ada@x.test")
    grant_complimentary(member=ada, product=ProductFactory(slug="habits"), until=None,
                        actor=creator, reason="gift", now=NOW)  # fmt: skip
    add_store_credit(member=ada, amount=500, currency="EUR", actor=creator, reason="sorry",
                     now=NOW)  # fmt: skip
    send_fresh_login_link(member=ada, actor=creator, reason="lost it", now=NOW)
    return ada, creator


@pytest.mark.parametrize("model", [GrantEvent, StoreCreditEntry, MemberEvent])
def test_the_orm_refuses_to_change_or_delete_an_audit_row(trail, model):
    before = everything()
    row = model.objects.get()
    row.reason = "nothing happened"

    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        model.objects.update(reason="rewritten")
    with pytest.raises(AppendOnlyError):
        model.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        model.objects.bulk_update([row], ["reason"])
    assert everything() == before


def test_nothing_an_audit_row_names_can_be_deleted(trail):
    ada, creator = trail
    before = everything()

    with pytest.raises(ProtectedError):
        GrantEvent.objects.get().grant.delete()
    with pytest.raises(ProtectedError):
        creator.delete()  # the acting admin: deactivate instead
    with pytest.raises(ProtectedError):
        ada.delete()
    assert everything() == before


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE members_grantevent SET reason = 'rewritten'",
        "UPDATE members_grantevent SET actor_id = NULL",
        "DELETE FROM members_grantevent",
        "UPDATE members_storecreditentry SET balance_after = 999999",
        "DELETE FROM members_storecreditentry",
        "UPDATE members_memberevent SET reason = 'rewritten'",
        "DELETE FROM members_memberevent",
    ],
)
def test_on_postgresql_the_database_refuses_update_and_delete(postgres_only, trail, sql):
    before = everything()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        connection.cursor().execute(sql)
    assert everything() == before
