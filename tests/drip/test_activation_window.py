"""Activation window: a grant never used within the product's window is flagged or expired."""

from datetime import timedelta

import pytest
import time_machine

from drip import tasks
from drip.services import ACTIVATION_EXPIRED_REASON, ACTIVATION_MARKED_REASON
from members.models import AccessGrant, GrantEvent
from products.models import Product
from tests.factories import ProductFactory
from tests.members.helpers import BOUGHT_AT, grant, make_member

pytestmark = pytest.mark.django_db
Action = Product.ActivationWindowAction


def run_job(at) -> int:
    with time_machine.travel(at, tick=False):
        return tasks.apply_activation_windows.delay().get()


def test_an_unused_grant_expires_when_the_product_says_expire():
    product = ProductFactory(activation_window_days=14, activation_window_action=Action.EXPIRE)
    unused = grant(make_member(), product)
    deadline = BOUGHT_AT + timedelta(days=14)

    assert run_job(deadline) == 0
    assert run_job(deadline + timedelta(seconds=1)) == 1

    unused.refresh_from_db()
    assert unused.state == AccessGrant.State.EXPIRED
    assert unused.activation_missed_at == deadline + timedelta(seconds=1)
    assert unused.end_reason == ACTIVATION_EXPIRED_REASON
    kinds = sorted(GrantEvent.objects.filter(grant=unused).values_list("kind", flat=True))
    assert kinds == [GrantEvent.Kind.ACTIVATION_MISSED, GrantEvent.Kind.EXPIRED]


def test_an_unused_grant_is_kept_and_marked_when_the_product_says_mark():
    product = ProductFactory(activation_window_days=7, activation_window_action=Action.MARK)
    unused = grant(make_member(), product)
    when = BOUGHT_AT + timedelta(days=8)

    run_job(when)
    run_job(when + timedelta(days=1))  # a second run changes nothing

    unused.refresh_from_db()
    assert (unused.state, unused.activation_missed_at) == (AccessGrant.State.ACTIVE, when)
    events = GrantEvent.objects.filter(grant=unused).values_list("kind", "reason")
    assert list(events) == [(GrantEvent.Kind.ACTIVATION_MISSED, ACTIVATION_MARKED_REASON)]


def test_used_grants_and_products_without_a_window_are_left_alone():
    windowed = ProductFactory(activation_window_days=7, activation_window_action=Action.EXPIRE)
    used = grant(make_member(), windowed, first_used_at=BOUGHT_AT + timedelta(days=1))
    no_window = grant(make_member(), ProductFactory())

    assert run_job(BOUGHT_AT + timedelta(days=30)) == 0

    assert AccessGrant.objects.get(pk=used.pk).state == AccessGrant.State.ACTIVE
    assert AccessGrant.objects.get(pk=no_window.pk).activation_missed_at is None
    assert not GrantEvent.objects.exists()
