"""Sales pages: curriculum, free previews, bundle contents, what's included, and owners."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import AccessGrant
from tests.factories import (
    BundleItemFactory,
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    PriceFactory,
    ProductFactory,
    RecurringPriceFactory,
)
from tests.members.helpers import BOUGHT_AT, grant, make_course, make_member

pytestmark = pytest.mark.django_db
NOW = BOUGHT_AT + timedelta(days=1)


def page(client, url: str, status: int = 200) -> str:
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == status
    return response.content.decode()


@pytest.fixture
def course():
    product = CourseFactory(name="Habits", slug="habits")
    PriceFactory(product=product, amount=4900)
    basics = ModuleFactory(product=product, title="Basics", position=1)
    deeper = ModuleFactory(product=product, title="Going deeper", position=2)
    lessons = [
        LessonFactory(module=basics, title="Start small", position=1, drip_days=0,
                      body="<p>Free body</p>", is_free_preview=True),
        LessonFactory(module=basics, title="Stack it", position=2, drip_days=3,
                      body="<p>Paid body</p>"),
        LessonFactory(module=deeper, title="Live day", position=1, drip_days=None,
                      opens_on=date(2026, 1, 15), body="<p>Live body</p>"),
    ]  # fmt: skip
    return product, lessons


def test_a_course_page_lists_modules_lessons_and_when_each_opens(client, course):
    product, lessons = course

    html = page(client, product.get_catalog_url())

    assert "Curriculum" in html
    assert html.index("Basics") < html.index("Start small") < html.index("Stack it")
    assert html.index("Stack it") < html.index("Going deeper") < html.index("Live day")
    assert "3 lessons" in html
    assert "opens at once" in html
    assert "opens on day 3" in html
    assert "opens on 15 Jan 2026" in html
    assert "Paid body" not in html  # titles and dates only


def test_a_free_preview_is_readable_by_a_visitor_and_linked_from_the_sales_page(client, course):
    product, lessons = course

    sales = page(client, product.get_catalog_url())
    preview = page(client, lessons[0].get_preview_url())

    assert f'href="{lessons[0].get_preview_url()}"' in sales
    assert "<p>Free body</p>" in preview
    assert "Start small" in preview
    assert f'href="{product.get_catalog_url()}"' in preview  # back to buying


def test_no_other_lesson_is_reachable_through_the_preview_address(client, course):
    product, lessons = course
    other = make_course(slug="other")
    other.lessons[0].is_free_preview = True
    other.lessons[0].save()
    hidden = CourseFactory(slug="hidden", is_published=False)
    hidden_preview = LessonFactory(module=ModuleFactory(product=hidden), is_free_preview=True)

    for lesson_pk, slug in [
        (lessons[1].pk, "habits"),  # not a preview
        (lessons[2].pk, "habits"),
        (other.lessons[0].pk, "habits"),  # a preview, of another course
        (hidden_preview.pk, "hidden"),  # a preview of an unpublished course
        (999_999, "habits"),
    ]:
        html = page(client, f"/products/{slug}/preview/{lesson_pk}/", status=404)
        assert "Paid body" not in html
        assert "Live body" not in html
    assert f'href="{lessons[1].get_preview_url()}"' not in page(client, product.get_catalog_url())


def test_an_owner_sees_you_own_this_and_a_button_into_the_course(client, course):
    product, _lessons = course
    member = make_member()
    grant(member, product)
    client.force_login(member)

    html = page(client, product.get_catalog_url())

    assert "You own this" in html
    assert f'<a role="button" href="{product.get_absolute_url()}">Open course</a>' in html
    assert "Buy now" not in html
    assert "/billing/checkout/" not in html


@pytest.mark.parametrize("who", ["visitor", "someone else", "ended"])
def test_anyone_who_does_not_own_it_sees_buy_now(client, course, who):
    product, _lessons = course
    if who != "visitor":
        member = make_member()
        if who == "ended":
            grant(member, product, state=AccessGrant.State.REVOKED, ended_at=BOUGHT_AT)
        else:
            grant(member, make_course().product)
        client.force_login(member)

    html = page(client, product.get_catalog_url())

    assert "Buy now" in html
    assert "You own this" not in html


def test_a_membership_past_its_paid_through_and_grace_is_no_longer_owned(client, settings):
    settings.MEMBERSHIP_GRACE_DAYS = 3
    price = RecurringPriceFactory(product__slug="circle")
    member = make_member()
    grant(member, price.product, paid_through=NOW - timedelta(days=4))  # no webhook said so
    client.force_login(member)

    html = page(client, "/products/circle/")

    assert "Subscribe" in html
    assert "You own this" not in html


def test_a_bundle_lists_each_product_in_it_linked(client):
    bundle = ProductFactory(kind="bundle", slug="starter", name="Starter bundle")
    workbook = BundleItemFactory(bundle=bundle, product__name="Workbook").product
    course = BundleItemFactory(bundle=bundle, product=CourseFactory(name="Course")).product
    retired = BundleItemFactory(
        bundle=bundle, product__name="Retired extra", product__is_published=False
    ).product

    html = page(client, "/products/starter/")

    assert "In this bundle" in html
    assert f'<a href="{workbook.get_catalog_url()}">Workbook</a>' in html
    assert f'<a href="{course.get_catalog_url()}">Course</a>' in html
    assert "Retired extra" in html
    assert f'href="{retired.get_catalog_url()}"' not in html


def test_a_bundle_is_owned_once_every_product_in_it_is(client):
    bundle = ProductFactory(kind="bundle", slug="starter")
    PriceFactory(product=bundle)
    first = BundleItemFactory(bundle=bundle).product
    second = BundleItemFactory(bundle=bundle).product
    member = make_member()
    grant(member, first)
    client.force_login(member)

    assert "Buy now" in page(client, "/products/starter/")
    grant(member, second)
    html = page(client, "/products/starter/")
    assert "You own this" in html
    assert "Buy now" not in html
    assert 'href="/members/">Go to my products' in html


def test_whats_included_is_shown_sanitized(client):
    price = RecurringPriceFactory(product__slug="circle")
    price.product.whats_included = (
        '<ul><li onclick="steal()">Monthly <b>live call</b></li></ul><script>alert(1)</script>'
    )
    price.product.save()

    html = page(client, "/products/circle/")

    assert '<h2 id="whats-included-title">What\'s included</h2>' in html
    assert "<ul><li>Monthly <b>live call</b></li></ul>" in html
    assert "steal()" not in html
    assert "<script>alert" not in html


def test_the_catalog_marks_owned_products_in_a_fixed_number_of_queries(client, warm_brand_cache):
    member = make_member()
    client.force_login(member)

    def catalog_queries() -> tuple[int, str]:
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
            html = client.get("/").content.decode()
        return len(queries), html

    owned = PriceFactory(product__name="Owned workbook").product
    grant(member, owned)
    few, _html = catalog_queries()
    for number in range(10):
        bundle = ProductFactory(kind="bundle")
        BundleItemFactory(bundle=bundle)
        PriceFactory(product=CourseFactory(name=f"Course {number}"))
    many, html = catalog_queries()

    assert few == many
    assert html.count("You own this") == 1
    assert f'href="{owned.get_absolute_url()}"' in html


def test_the_sales_page_runs_a_fixed_number_of_queries(client, course, warm_brand_cache):
    product, _lessons = course
    member = make_member()
    grant(member, product)
    client.force_login(member)

    with CaptureQueriesContext(connection) as few:
        page(client, product.get_catalog_url())
    module = ModuleFactory(product=product)
    for _ in range(20):
        LessonFactory(module=module)
    with CaptureQueriesContext(connection) as many:
        page(client, product.get_catalog_url())

    # session, user, product, prices, bundle, lessons, grants, and the funnel's visit count
    # (one UPSERT, issue 16)
    assert len(few) == len(many) <= 8


def test_a_member_of_a_membership_finds_whats_included_in_the_member_area(client):
    price = RecurringPriceFactory(product__slug="circle")
    price.product.whats_included = "<ul><li>A live call every month</li></ul>"
    price.product.save()
    member = make_member()
    grant(member, price.product, paid_through=NOW + timedelta(days=20))
    client.force_login(member)

    html = page(client, price.product.get_absolute_url())

    assert "<ul><li>A live call every month</li></ul>" in html
