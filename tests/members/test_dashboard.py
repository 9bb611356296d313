"""The dashboard: products in order, progress, continue, next opening, billing banners."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Customer, Order, Subscription
from members.models import AccessGrant, LessonProgress
from tests.factories import LessonProgressFactory, ProductFactory
from tests.members.helpers import BOUGHT_AT, grant, make_course, make_member

pytestmark = pytest.mark.django_db
NOW = BOUGHT_AT + timedelta(days=4)


@pytest.fixture
def member(client):
    member = make_member(time_zone="UTC")
    client.force_login(member)
    return member


def dashboard(client) -> str:
    with time_machine.travel(NOW, tick=False):
        response = client.get("/members/")
    assert response.status_code == 200
    return response.content.decode()


def test_live_products_come_first_and_ended_ones_offer_buy_again(client, member):
    ended = ProductFactory(name="Old workbook", position=0)
    grant(member, ended, state=AccessGrant.State.REVOKED, ended_at=BOUGHT_AT)
    live = ProductFactory(name="New workbook", position=5)
    grant(member, live)
    ProductFactory(name="Not mine")

    page = dashboard(client)

    assert page.index("New workbook") < page.index("Old workbook")
    assert "Not mine" not in page
    assert f'href="{ended.get_catalog_url()}">Buy again' in page
    assert f'href="{ended.get_absolute_url()}"' not in page
    assert f'href="{live.get_absolute_url()}"' in page


def test_a_course_shows_progress_continue_and_the_next_opening_date(client, member):
    course = make_course(days=(0, 3, 6))
    grant(member, course.product)
    LessonProgressFactory(
        member=member, lesson=course.lessons[0], first_viewed_at=BOUGHT_AT, completed_at=BOUGHT_AT
    )
    LessonProgressFactory(
        member=member, lesson=course.lessons[1], first_viewed_at=BOUGHT_AT + timedelta(days=3)
    )

    page = dashboard(client)

    assert "1 of 3 lessons done (33%)" in page
    assert f'href="{course.lessons[1].get_absolute_url()}">Continue: Lesson 2' in page
    assert "Next lesson: Lesson 3 · opens on 7 Nov" in page


def test_continue_moves_on_once_the_last_viewed_lesson_is_done(client, member):
    course = make_course(days=(0, 0, 6))
    grant(member, course.product)
    LessonProgressFactory(
        member=member, lesson=course.lessons[0], first_viewed_at=BOUGHT_AT, completed_at=BOUGHT_AT
    )

    page = dashboard(client)

    assert "Continue: Lesson 2" in page


def paid_by_subscription(access: AccessGrant, *, provider: str = "stripe", **order_fields):
    """The grant is paid by a subscription whose payment is due (Stripe: with its customer)."""
    customer = None
    if provider == "stripe":
        customer = Customer.objects.create(
            member=access.member, provider="stripe", provider_customer_id="cus_1"
        )
    order = Order.objects.create(
        member=access.member, product=access.product, provider=provider,
        provider_ref="sub_1", status="paid", customer=customer, currency="EUR", **order_fields,
    )  # fmt: skip
    Subscription.objects.create(
        member=access.member, order=order, provider=provider, provider_ref="sub_1",
        status="past_due", current_period_end=access.paid_through,
    )  # fmt: skip
    AccessGrant.objects.filter(pk=access.pk).update(order=order)


def test_grace_shows_a_banner_with_the_end_date_and_a_way_to_fix_billing(client, member, settings):
    settings.MEMBERSHIP_GRACE_DAYS = 3
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    product = ProductFactory(name="Inner circle")
    access = grant(
        member, product, state=AccessGrant.State.GRACE, paid_through=NOW - timedelta(days=1)
    )
    paid_by_subscription(access)

    page = dashboard(client)

    assert "Your last payment for Inner circle did not go through." in page
    assert "You keep access until 7 Nov 2025." in page
    ref = Subscription.objects.get().public_ref
    assert f'<form method="post" action="/billing/subscriptions/{ref}/portal/">' in page
    assert "Fix billing" in page


def test_grace_of_a_digistore24_subscription_links_to_its_order(client, member, settings):
    product = ProductFactory(name="Inner circle")
    access = grant(
        member, product, state=AccessGrant.State.GRACE, paid_through=NOW - timedelta(days=1)
    )
    paid_by_subscription(
        access, provider="digistore24", receipt_url="https://www.digistore24.com/receipt/1/x"
    )

    page = dashboard(client)

    assert 'href="https://www.digistore24.com/receipt/1/x"' in page
    assert "Your order at Digistore24" in page
    assert "Fix billing" not in page
    assert "/portal/" not in page


def test_grace_that_nothing_online_can_fix_names_the_support_address(client, member, settings):
    """No "Fix billing" that cannot work: a Digistore24 subscriber used to be sent to a Stripe
    portal that does not know them ("Billing cannot be managed online right now")."""
    settings.SUPPORT_EMAIL = "help@creator.test"
    product = ProductFactory(name="Inner circle")
    access = grant(
        member, product, state=AccessGrant.State.GRACE, paid_through=NOW - timedelta(days=1)
    )
    paid_by_subscription(access, provider="digistore24")

    page = dashboard(client)

    assert "Your last payment for Inner circle did not go through." in page
    assert "Fix billing" not in page
    assert 'To settle the payment, write to <a href="mailto:help@creator.test">' in page


def test_the_support_address_set_in_the_branding_wins_over_the_setting(client, member, settings):
    from branding.models import Branding
    from branding.selectors import forget_brand

    settings.SUPPORT_EMAIL = "env@creator.test"
    Branding.objects.update_or_create(slot=1, defaults={"support_email": "desk@creator.test"})
    forget_brand()
    product = ProductFactory(name="Inner circle")
    access = grant(
        member, product, state=AccessGrant.State.GRACE, paid_through=NOW - timedelta(days=1)
    )
    paid_by_subscription(access, provider="digistore24")

    page = dashboard(client)

    assert 'To settle the payment, write to <a href="mailto:desk@creator.test">' in page
    assert "env@creator.test" not in page


def test_a_lapse_without_any_webhook_shows_as_ended_with_a_banner(client, member, settings):
    settings.MEMBERSHIP_GRACE_DAYS = 3
    product = ProductFactory(name="Inner circle")
    # Stored state is still active: no webhook and no sweep ran.
    grant(member, product, paid_through=NOW - timedelta(days=3, seconds=1))

    page = dashboard(client)

    assert "Your access to Inner circle ended on 5 Nov 2025 because no payment arrived." in page
    assert f'href="{product.get_absolute_url()}"' not in page
    assert "Buy again" in page


def test_a_cancelled_membership_that_ended_shows_no_fix_billing_banner(client, member):
    product = ProductFactory(name="Inner circle")
    grant(
        member, product, state=AccessGrant.State.EXPIRED, paid_through=NOW - timedelta(days=5),
        ended_at=NOW - timedelta(days=5), end_reason="subscription ended at Stripe",
    )  # fmt: skip

    page = dashboard(client)

    assert "because no payment arrived" not in page
    assert "Fix billing" not in page
    assert "Buy again" in page


def test_a_membership_ended_after_a_missed_payment_offers_to_fix_billing(client, member, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    product = ProductFactory(name="Inner circle")
    access = grant(
        member, product, state=AccessGrant.State.EXPIRED, paid_through=NOW - timedelta(days=5),
        ended_at=NOW - timedelta(days=1), ended_unpaid=True,
    )  # fmt: skip
    paid_by_subscription(access)  # Stripe keeps an unpaid subscription open: paying revives it

    page = dashboard(client)

    assert "Your access to Inner circle ended on" in page
    assert "Fix billing" in page


def test_no_products_points_to_the_catalog(client, member):
    assert "You have no products yet." in dashboard(client)


def test_continue_points_at_the_first_unfinished_lesson_not_the_one_viewed_last(client, member):
    course = make_course(days=(0, 0, 0))
    grant(member, course.product)
    first, second = (course.lessons[0].get_absolute_url(), course.lessons[1].get_absolute_url())

    with time_machine.travel(NOW, tick=False) as clock:
        for url in (first, second):  # a minute apart, neither marked complete
            assert client.get(url).status_code == 200
            clock.shift(timedelta(minutes=1))
        page = client.get("/members/").content.decode()

    assert f'href="{first}">Continue: Lesson 1' in page


def test_continue_never_points_at_a_finished_lesson(client, member):
    course = make_course(days=(0, 0, 0))
    grant(member, course.product)
    for number, at in ((0, BOUGHT_AT), (2, BOUGHT_AT + timedelta(hours=2))):  # 3 is viewed last
        LessonProgressFactory(
            member=member, lesson=course.lessons[number], first_viewed_at=at, completed_at=at
        )
    LessonProgressFactory(member=member, lesson=course.lessons[1], first_viewed_at=BOUGHT_AT)

    page = dashboard(client)

    assert f'href="{course.lessons[1].get_absolute_url()}">Continue: Lesson 2' in page
    assert "Continue: Lesson 3" not in page


@pytest.mark.parametrize("where", ["dashboard", "course page"])
def test_with_every_open_lesson_done_the_page_says_what_opens_next_and_when(client, member, where):
    course = make_course(days=(0, 3, 6))
    grant(member, course.product)
    for lesson in course.lessons[:2]:
        LessonProgressFactory(member=member, lesson=lesson, first_viewed_at=NOW, completed_at=NOW)

    if where == "dashboard":
        page = dashboard(client)
    else:
        with time_machine.travel(NOW, tick=False):
            page = client.get(course.product.get_absolute_url()).content.decode()

    assert "Continue:" not in page
    assert "You have done every open lesson." in page
    assert "Next lesson: Lesson 3 · opens on 7 Nov" in page


def test_a_finished_course_says_so_instead_of_continue(client, member):
    course = make_course(days=(0, 0))
    grant(member, course.product)
    for lesson in course.lessons:
        LessonProgressFactory(member=member, lesson=lesson, first_viewed_at=NOW, completed_at=NOW)

    page = dashboard(client)

    assert "Continue:" not in page
    assert "You have finished this course." in page
    assert "2 of 2 lessons done (100%)" in page


def test_reloading_the_lesson_viewed_last_costs_no_write(client, member):
    course = make_course(days=(0,))
    grant(member, course.product)
    url = course.lessons[0].get_absolute_url()
    progress = LessonProgress.objects.filter(member=member, lesson=course.lessons[0])

    with time_machine.travel(NOW, tick=False) as clock:
        client.get(url)
        clock.shift(timedelta(minutes=4))
        with CaptureQueriesContext(connection) as reload:
            client.get(url)
        assert progress.get().last_viewed_at == NOW  # not rewritten within five minutes
        assert not [q for q in reload.captured_queries if q["sql"].startswith("INSERT")]
        clock.shift(timedelta(minutes=2))
        client.get(url)

    assert progress.get().last_viewed_at == NOW + timedelta(minutes=6)
