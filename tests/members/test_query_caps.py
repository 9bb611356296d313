"""Member pages run a fixed number of queries, whatever the number of products and lessons."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from drip.models import LessonNotice
from members.models import LessonProgress
from products.models import Lesson, Module
from tests.factories import CourseFactory, DownloadFactory
from tests.members.helpers import BOUGHT_AT, grant, make_member

pytestmark = pytest.mark.django_db
NOW = BOUGHT_AT + timedelta(days=5)
# session, user, the page's reads (grants, lessons with modules, views and notices in one union);
# the first visit also stamps first use (4 statements). Tight: a new query per page shows here.
DASHBOARD_CAP = 5
OUTLINE_CAP = 11
LESSON_CAP = 8  # 7, plus one for the lesson's files (issue 14)
PROFILE_CAP = 5  # session, user, the member's subscriptions with their orders, store credit,
# the marketing e-mail preference (issue 16: a sequences-owned row, read by its template tag)


pytestmark = pytest.mark.usefixtures("warm_brand_cache")


def build(member, *, products: int, lessons: int) -> list[Lesson]:
    """``products`` courses holding ``lessons`` lessons in all, half of them opened and seen."""
    created: list[Lesson] = []
    per_course = lessons // products
    for number in range(products):
        course = CourseFactory()
        grant(member, course)
        DownloadFactory(product=course)
        modules = Module.objects.bulk_create(
            Module(product=course, title=f"M{m}", position=m)
            for m in range(max(1, per_course // 10))
        )
        created += Lesson.objects.bulk_create(
            Lesson(
                module=modules[i % len(modules)],
                title=f"L{number}-{i}",
                position=i,
                drip_days=0 if i % 2 == 0 else 30,
            )
            for i in range(per_course)
        )
    LessonProgress.objects.bulk_create(
        LessonProgress(
            member=member,
            lesson=lesson,
            first_viewed_at=BOUGHT_AT,
            last_viewed_at=BOUGHT_AT,
            completed_at=BOUGHT_AT,
        )
        for lesson in created[::2]
    )
    LessonNotice.objects.bulk_create(
        LessonNotice(
            member=member, lesson=lesson, status="sent", opened_at=BOUGHT_AT, created_at=BOUGHT_AT
        )
        for lesson in created[::2]
    )
    return created


def count_queries(client, url: str) -> int:
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(("products", "lessons"), [(1, 4), (50, 200)])
def test_dashboard_query_count_is_fixed(client, django_assert_max_num_queries, products, lessons):
    member = make_member()
    build(member, products=products, lessons=lessons)
    client.force_login(member)

    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(DASHBOARD_CAP):
        page = client.get("/members/").content.decode()
    assert page.count("lessons done (50%)") == products


@pytest.mark.parametrize(("products", "lessons"), [(1, 4), (50, 200)])
def test_course_outline_and_lesson_page_query_counts_are_fixed(
    client, django_assert_max_num_queries, products, lessons
):
    member = make_member()
    created = build(member, products=1, lessons=lessons)
    build(member, products=products, lessons=lessons)  # other courses must not matter
    client.force_login(member)
    course = created[0].module.product

    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(OUTLINE_CAP):
        outline = client.get(course.get_absolute_url())
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(LESSON_CAP):
        lesson = client.get(created[2].get_absolute_url())

    assert outline.content.decode().count('class="lesson-row') == lessons
    assert lesson.content.decode().count('class="lesson-row') == lessons


def test_small_and_large_accounts_run_exactly_the_same_number_of_queries(client):
    small, large = make_member(), make_member()
    small_lessons = build(small, products=1, lessons=4)
    large_lessons = build(large, products=50, lessons=200)

    client.force_login(small)
    counts_small = [
        count_queries(client, "/members/"),
        count_queries(client, small_lessons[0].module.product.get_absolute_url()),
        count_queries(client, small_lessons[2].get_absolute_url()),
    ]
    client.force_login(large)
    counts_large = [
        count_queries(client, "/members/"),
        count_queries(client, large_lessons[0].module.product.get_absolute_url()),
        count_queries(client, large_lessons[2].get_absolute_url()),
    ]

    assert counts_small == counts_large


def subscribe(member, *, count: int) -> None:
    """``count`` Stripe memberships, each paid by its own subscription, one cancelling."""
    from billing.models import Customer, Order, Subscription
    from tests.factories import ProductFactory

    customer = Customer.objects.create(
        member=member, provider="stripe", provider_customer_id=f"cus_{member.pk}"
    )
    for number in range(count):
        product = ProductFactory(kind="membership")
        order = Order.objects.create(
            member=member, product=product, provider="stripe",
            provider_ref=f"sub_{member.pk}_{number}", status="paid", customer=customer,
            currency="EUR",
        )  # fmt: skip
        Subscription.objects.create(
            member=member, order=order, provider="stripe", provider_ref=order.provider_ref,
            status="active", current_period_end=NOW + timedelta(days=20),
            cancel_at_period_end=number == 0,
        )  # fmt: skip
        grant(member, product, order=order, paid_through=NOW + timedelta(days=20))


@pytest.mark.parametrize("subscriptions", [1, 20])
def test_subscribers_dashboard_and_profile_stay_within_the_caps(
    client, settings, django_assert_max_num_queries, subscriptions
):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    member = make_member()
    build(member, products=2, lessons=8)
    subscribe(member, count=subscriptions)
    client.force_login(member)

    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(DASHBOARD_CAP):
        page = client.get("/members/").content.decode()
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(PROFILE_CAP):
        profile = client.get("/members/profile/").content.decode()

    assert page.count('class="subscription"') == subscriptions
    assert page.count("Manage subscription") == subscriptions
    assert page.count("Resume subscription") == 1
    assert profile.count('class="subscription"') == subscriptions
