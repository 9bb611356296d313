"""Two erasures at once (a double click on the link, the creator at the same moment): the
member's row lock makes the second one find the work done."""

import pytest
from django.utils import timezone

from members.models import GrantEvent, MemberEvent
from privacy.erasure import erase_member
from tests.conftest import run_concurrently
from tests.factories import GrantFactory, UserFactory


@pytest.mark.django_db(transaction=True)
def test_parallel_erasures_erase_once(postgres_only):
    ada = UserFactory(email="ada@example.test", name="Ada Lovelace")
    GrantFactory(member=ada)

    errors = run_concurrently(
        lambda: erase_member(member_pk=ada.pk, actor=None, reason="asked", now=timezone.now()),
        times=4,
    )

    assert errors == []
    assert MemberEvent.objects.filter(member=ada, kind="erased").count() == 1
    assert GrantEvent.objects.filter(grant__member=ada, kind="revoked").count() == 1
