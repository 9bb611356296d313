"""Demo magazine for ``manage.py seed_demo``: the inner circle in two tiers and a year of posts.

Basic is the demo's existing membership product; premium is a dearer membership that also
includes the six-day habit course. Posts are dated relative to the first seeding (one a month
for basic, a second one most months for premium, one announced for next month); every later
call finds them by slug and changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction

from magazine.models import Magazine, Post, PostFile, Tier
from magazine.visibility import add_months, site_zone
from members.access import local_midnight
from products.models import Price, Product

PREMIUM_SLUG = "inner-circle-premium"
DEMO_VIDEO_URL = "https://www.youtube.com/watch?v=aqz-KE-bpKQ"  # Big Buck Bunny (CC BY, Blender)

# (months ago, tier, title, body): one basic post a month, premium deep dives in between.
DEMO_POSTS = [
    (
        11,
        "basic",
        "Your first hundred e-mail subscribers",
        "<p>Forget the big launch. Your first hundred readers come from the people who already "
        "know you: past clients, colleagues, the group you answer questions in.</p>"
        "<p><strong>This month:</strong> write to ten of them personally and ask one question "
        "about their biggest problem. Their answers are your next lead magnet.</p>",
    ),
    (
        10,
        "basic",
        "A lead magnet people actually open",
        "<p>A checklist beats an e-book. One page, one problem, one quick win the same day.</p>"
        "<p>Test yours: can a reader use it in fifteen minutes? If not, cut it in half.</p>",
    ),
    (
        10,
        "premium",
        "Hot seat recording: pricing a first course",
        "<p>In this month's hot seat, Miriam priced her first course live with the group: from "
        "a nervous 19 euros to a confident 149, with a payment plan for those who need it.</p>",
    ),
    (
        9,
        "basic",
        "Why your shop should run while you sleep",
        "<p>Every manual step between a payment and a member's first lesson is a step you will "
        "one day forget. Let the payment provider tell the member area what happened.</p>",
    ),
    (
        8,
        "basic",
        "Drip or all at once?",
        "<p>Dripping lessons every three days keeps members with you; opening everything at once "
        "suits reference material. Choose per course, not per habit.</p>",
    ),
    (
        8,
        "premium",
        "Worksheet: map your value ladder",
        "<p>From the free checklist to the inner circle: write down each step, its price and the "
        "one promise it makes. The worksheet below has the boxes.</p>",
    ),
    (
        7,
        "basic",
        "The customer activator",
        "<p>A small first purchase, between 9 and 19 euros, turns a reader into a customer. "
        "The second purchase is far easier than the first.</p>",
    ),
    (
        6,
        "basic",
        "Renewals: the quiet part of the business",
        "<p>A membership earns its money in month four, not month one. Look at who stays, and "
        "ask them why.</p>",
    ),
    (
        6,
        "premium",
        "Hot seat recording: an upsell that feels like help",
        "<p>Offer the next step right after a purchase, when the buyer's motivation is highest, "
        "and make it the obvious companion, not a random extra.</p>",
    ),
    (
        5,
        "basic",
        "When a payment fails",
        "<p>Most failed renewals are expired cards, not goodbyes. Give members a few days of "
        "grace and a clear link to fix it, and most of them do.</p>",
    ),
    (
        4,
        "basic",
        "Invoices without a spreadsheet",
        "<p>Numbered, dated, append-only: an invoice is never edited, a credit note cancels it. "
        "Your accountant will thank you.</p>",
    ),
    (
        4,
        "premium",
        "Worksheet: your churn and MRR, month by month",
        "<p>Three numbers each month: members gained, members lost, monthly recurring revenue. "
        "Write them down before you change anything.</p>",
    ),
    (
        3,
        "basic",
        "Affiliates, the fair way",
        "<p>Pay your partners well, pay them on time, and give them a page they are proud to "
        "send people to.</p>",
    ),
    (
        2,
        "basic",
        "One habit, one hundred days",
        "<p>The smallest habit kept for a hundred days beats the perfect plan kept for a week. "
        "What is your two-minute step this quarter?</p>",
    ),
    (
        2,
        "premium",
        "Hot seat recording: from course to membership",
        "<p>When members finish your course and ask \u201cwhat next?\u201d, a membership is the "
        "answer. We sketched one in forty minutes.</p>",
    ),
    (
        1,
        "basic",
        "Planning the year ahead",
        "<p>Pick three products, not ten. For each: who is it for, what does it cost, and what "
        "does the buyer do on day one?</p>",
    ),
    (
        0,
        "basic",
        "Look back before you look ahead",
        "<p>Read your sales of the last twelve months, month by month. Which month surprised "
        "you, and why?</p>"
        "<p>Then choose the one thing you stop doing from now on.</p>",
    ),
    (
        0,
        "premium",
        "Review call: wins and lessons",
        "<p>The recording of our review call: wins, lessons and the plans of twelve members.</p>",
    ),
]
UPCOMING = ("basic", "Your next small offer",
            "<p>A small, clear offer for the first week of the month.</p>")  # fmt: skip


@transaction.atomic
def seed_demo_magazine(*, products: dict[str, Product], now: datetime) -> Magazine:
    """The demo magazine, its two tiers and its posts, once; a second call changes nothing."""
    from products.demo import _ensure_cover, minimal_pdf

    basic_product = products["inner-circle-membership"]
    premium_product = _premium_product()
    _ensure_cover(premium_product)
    magazine, _created = Magazine.objects.get_or_create(
        slug="inner-circle", defaults={"name": "Inner circle"}
    )
    basic, _created = Tier.objects.get_or_create(
        product=basic_product,
        defaults={
            "magazine": magazine,
            "rank": 1,
            "visibility": Tier.Visibility.BACK_CATALOGUE_AFTER,
            "back_catalogue_after_months": 3,
        },
    )
    premium, created = Tier.objects.get_or_create(
        product=premium_product,
        defaults={"magazine": magazine, "rank": 2, "visibility": Tier.Visibility.BACK_CATALOGUE},
    )
    if created:
        premium.included_courses.add(products["six-day-habit-course"])
    tiers = {"basic": basic, "premium": premium}
    for months_ago, tier, title, body in DEMO_POSTS:
        day = 17 if tier == "premium" else 3
        _post(magazine, tiers[tier], title, body, publish_at=_month_day(now, -months_ago, day))
    tier, title, body = UPCOMING
    _post(magazine, tiers[tier], title, body, publish_at=_month_day(now, 1, 3), announce=True)
    worksheet = Post.objects.get(magazine=magazine, slug="worksheet-map-your-value-ladder")
    if not worksheet.files.exists():
        item = PostFile(post=worksheet, title="Value ladder worksheet")
        item.file.save("value-ladder.pdf", ContentFile(minimal_pdf("Value ladder")), save=False)
        item.save()
    return magazine


def _month_day(now: datetime, months: int, day: int) -> datetime:
    """8:00 on ``day`` of the month ``months`` from now's; this month's posts are never later
    than a little before ``now`` (the demo's current issue is out), an upcoming one is."""
    tz = site_zone()
    first = local_midnight(add_months(now.astimezone(tz).date().replace(day=1), months), tz)
    at = first.replace(day=day) + timedelta(hours=8)
    if months == 0 and at > now:
        at = max(first, now - timedelta(hours=2, days=1 if day > 3 else 0))
    return at


def _post(magazine, tier, title, body, *, publish_at, announce=False) -> Post:
    from django.utils.text import slugify

    post, created = Post.objects.get_or_create(
        magazine=magazine,
        slug=slugify(title)[:200],
        defaults={
            "title": title,
            "body": body,
            "publish_at": publish_at,
            "announce": announce,
            "video_url": DEMO_VIDEO_URL if title.startswith("Hot seat") else "",
        },
    )
    if created:
        post.tiers.add(tier)
    return post


def _premium_product() -> Product:
    product, _created = Product.objects.get_or_create(
        slug=PREMIUM_SLUG,
        defaults={
            "name": "Inner circle premium",
            "kind": Product.Kind.MEMBERSHIP,
            "description": (
                "<p>Everything in the inner circle, plus a monthly hot seat recording, the "
                "worksheets, the whole archive from day one and the six-day habit course.</p>"
            ),
            "digistore24_product_id": "510005",
            "is_published": True,
            "position": 4,
        },
    )
    Price.objects.get_or_create(
        stripe_price_id="price_demo_membership_premium_monthly",
        defaults={
            "product": product,
            "amount": 4900,
            "billing_type": Price.BillingType.RECURRING,
            "interval": Price.Interval.MONTH,
        },
    )
    return product
