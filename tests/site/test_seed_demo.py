import pytest
from django.core.management import CommandError, call_command

from members.models import User
from products.models import BundleItem, Lesson, Price, Product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _development_site(settings):
    """seed_demo runs on a development site (make run sets DJANGO_DEBUG=1)."""
    settings.DEBUG = True


def snapshot() -> dict[str, list]:
    return {
        "users": list(User.objects.order_by("pk").values_list("pk", "email", "password")),
        "products": list(Product.objects.order_by("pk").values()),
        "prices": list(Price.objects.order_by("pk").values()),
        "lessons": list(Lesson.objects.order_by("pk").values()),
        "bundle": list(BundleItem.objects.order_by("pk").values()),
    }


def test_seed_demo_builds_the_demo_catalog(capsys):
    call_command("seed_demo")

    out = capsys.readouterr().out
    assert "creator@example.com / demo-creator-2026" in out
    assert User.objects.get(email="creator@example.com").is_superuser
    kinds = set(Product.objects.values_list("kind", flat=True))
    assert kinds == {"download", "course", "membership", "bundle"}
    stripe_prices = Price.objects.exclude(stripe_price_id=None)
    assert stripe_prices.count() >= 3
    # the membership's two tiers (issue 18): the inner circle and its premium tier
    assert stripe_prices.filter(billing_type="recurring", interval="month").count() == 2
    assert all(
        pid.startswith("price_demo_")
        for pid in stripe_prices.values_list("stripe_price_id", flat=True)
    )
    course = Product.objects.get(kind="course")
    days = list(Lesson.objects.filter(module__product=course).values_list("drip_days", flat=True))
    assert days == [0, 3, 6]
    free = Product.objects.filter(prices=None)
    assert [p.slug for p in free] == ["starter-checklist"]
    paid = Product.objects.exclude(prices=None)
    assert all(p.digistore24_product_id for p in paid)
    workbook = Product.objects.get(slug="calm-money-workbook").downloads.get()
    assert workbook.file.read().startswith(b"%PDF-1.4")


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo")
    before = snapshot()

    call_command("seed_demo")

    assert snapshot() == before


def test_seed_demo_refuses_a_live_site(settings):
    """Its superuser's password is printed and in the README: never on a live site by accident."""
    settings.DEBUG = False
    with pytest.raises(CommandError, match="published password"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_the_demo_member_owns_the_course_bought_days_ago_and_a_membership(client):
    call_command("seed_demo")
    call_command("seed_demo")  # a second run leaves the member's products as they are
    member = User.objects.get(email="member@example.com")
    client.force_login(member)

    dashboard = client.get("/members/").content.decode()
    course = client.get("/members/products/six-day-habit-course/").content.decode()

    assert "1 of 3 lessons done (33%)" in dashboard
    assert "Continue: Day 3: Stack it" in dashboard
    assert "Next lesson: Day 6: Keep the chain · opens on" in dashboard
    assert "Inner circle membership" in dashboard
    assert 'class="lesson-row done' in course
    assert 'class="lesson-row open' in course
    assert 'class="lesson-row locked' in course
    grants = {grant.product.slug: grant for grant in member.grants.select_related("product")}
    assert set(grants) == {"six-day-habit-course", "inner-circle-membership"}
    assert grants["inner-circle-membership"].paid_through is not None


def test_demo_lessons_have_real_text_a_video_and_an_image_and_products_have_covers(client):
    from django.contrib.staticfiles import finders

    from products.embeds import embed_url

    call_command("seed_demo")
    lessons = list(Lesson.objects.filter(module__product__slug="six-day-habit-course"))

    assert all(lesson.body.count("<p>") >= 3 for lesson in lessons)
    assert [bool(embed_url(lesson.video_url)) for lesson in lessons] == [True, False, False]
    assert "<img" in lessons[1].body
    assert finders.find("img/demo/habit-loop.svg")
    assert [lesson.is_free_preview for lesson in lessons] == [True, False, False]
    assert all(product.cover and product.cover_width for product in Product.objects.all())
    membership = client.get("/products/inner-circle-membership/").content.decode()
    assert "A live call every month" in membership
    preview = client.get(lessons[0].get_preview_url())
    assert preview.status_code == 200


def stripe_line(capsys) -> str:
    call_command("seed_demo")
    out = capsys.readouterr().out
    return next(line for line in out.splitlines() if line.startswith("Stripe:")).split(None, 1)[1]


@pytest.mark.parametrize(
    ("api_key", "webhook_secret", "expected"),
    [
        (
            "",
            "whsec_offline_test_mode",
            "offline test mode: buy on any product page; http://testserver/billing/webhooks/"
            "stripe/ accepts events signed with whsec_offline_test_mode",
        ),
        (
            "",
            "whsec_my_own_endpoint_secret",
            "offline test mode: buy on any product page; http://testserver/billing/webhooks/"
            "stripe/ accepts events signed with your STRIPE_WEBHOOK_SECRET",
        ),
        (
            "sk_test_123",
            "whsec_my_own_endpoint_secret",
            "API key set: checkout through Stripe; http://testserver/billing/webhooks/stripe/ "
            "accepts events signed with your STRIPE_WEBHOOK_SECRET",
        ),
        (
            "sk_test_123",
            "",
            "API key set: checkout through Stripe; STRIPE_WEBHOOK_SECRET is not set, so "
            "http://testserver/billing/webhooks/stripe/ refuses every event",
        ),
    ],
)
def test_seed_demo_names_the_webhook_secret_that_is_really_in_use(
    settings, capsys, api_key, webhook_secret, expected
):
    settings.STRIPE_SECRET_KEY = api_key
    settings.STRIPE_WEBHOOK_SECRET = webhook_secret

    assert stripe_line(capsys) == expected


def test_seed_demo_on_a_live_site_without_a_key_says_checkout_is_off(settings, capsys):
    settings.DEBUG = False
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""

    call_command("seed_demo", "--on-a-live-site")
    out = capsys.readouterr().out

    assert (
        "Stripe:       no STRIPE_SECRET_KEY: checkout is off and live events are ignored "
        "(set a live key, rk_live_ is enough); "
        "STRIPE_WEBHOOK_SECRET is not set, so http://testserver/billing/webhooks/stripe/ "
        "refuses every event"
    ) in out


def test_the_demo_membership_is_a_stripe_test_subscription_the_member_can_manage(client, settings):
    """In offline test mode the demo membership comes from the test checkout's signed events, so
    "Manage subscription" opens the local stand-in for Stripe's portal, and cancelling works."""
    from billing.models import Subscription

    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = settings.STRIPE_OFFLINE_WEBHOOK_SECRET
    call_command("seed_demo")
    member = User.objects.get(email="member@example.com")
    client.force_login(member)

    subscription = Subscription.objects.get(order__member=member)
    dashboard = client.get("/members/").content.decode()
    portal = client.post(
        f"/billing/subscriptions/{subscription.public_ref}/portal/", {"back": "dashboard"}
    )
    cancelled = client.post(
        portal["Location"], {"action": "cancel", "reason": "too_expensive"}, follow=True
    )

    assert (subscription.provider, subscription.order.is_test) == ("stripe", True)
    assert subscription.order.product.slug == "inner-circle-membership"
    assert "Manage subscription" in dashboard
    assert "/test-portal/" in portal["Location"]
    assert cancelled.status_code == 200
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end
    assert member.grants.get(product__slug="inner-circle-membership").paid_through is not None
