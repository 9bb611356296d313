"""Demo catalog for ``manage.py seed_demo``: every call leaves the same rows."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import BytesIO

from django.core.files.base import ContentFile
from django.db import transaction
from django.templatetags.static import static
from django.utils.text import slugify
from PIL import Image, ImageColor, ImageDraw, ImageFont

from products.covers import store_cover
from products.models import BundleItem, Download, Lesson, Module, Price, Product

DEMO_CREATOR_EMAIL = "creator@example.com"
DEMO_CREATOR_PASSWORD = "demo-creator-2026"  # noqa: S105 - printed demo login, local use only
DEMO_MEMBER_EMAIL = "member@example.com"
DEMO_MEMBER_PASSWORD = "demo-member-2026"  # noqa: S105 - printed demo login, local use only


@dataclass(frozen=True)
class DemoPrice:
    stripe_price_id: str
    amount: int
    interval: str = ""


@dataclass(frozen=True)
class DemoProduct:
    slug: str
    name: str
    kind: str
    description: str
    digistore24_product_id: str
    price: DemoPrice | None
    position: int
    whats_included: str = ""


DEMO_PRODUCTS = [
    DemoProduct(
        slug="calm-money-workbook",
        name="Calm Money workbook (PDF)",
        kind=Product.Kind.DOWNLOAD,
        description=(
            "<p>A 30-page workbook to sort your finances in one weekend: what comes in, what "
            "goes out, and what your online business really earns after fees.</p>"
            "<p>Print it or fill it in on screen. Each chapter ends with one small task.</p>"
        ),
        digistore24_product_id="510001",
        price=DemoPrice("price_demo_workbook", 1900),
        position=1,
    ),
    DemoProduct(
        slug="six-day-habit-course",
        name="Six-day habit course",
        kind=Product.Kind.COURSE,
        description=(
            "<p>Build one small daily habit that moves your online business forward, in three "
            "lessons that open on days 0, 3 and 6 after purchase.</p>"
            "<p>Each lesson takes ten minutes to read and ends with one thing to do today. "
            "Read the first lesson free before you buy.</p>"
        ),
        digistore24_product_id="510002",
        price=DemoPrice("price_demo_course", 4900),
        position=2,
    ),
    DemoProduct(
        slug="inner-circle-membership",
        name="Inner circle membership",
        kind=Product.Kind.MEMBERSHIP,
        description=(
            "<p>A course is a book; a membership is a magazine. Join any month, and get something "
            "new every month for as long as you stay.</p>"
        ),
        digistore24_product_id="510003",
        price=DemoPrice("price_demo_membership_monthly", 2900, interval=Price.Interval.MONTH),
        position=3,
        whats_included=(
            "<ul>"
            "<li><strong>A live call every month</strong>: bring your questions, get answers "
            "from the coach and the group.</li>"
            "<li><strong>The full archive</strong> of past posts, open after three months "
            "(from day one in premium).</li>"
            "<li><strong>A new worksheet every month</strong> on one part of your business: "
            "offers, pricing, e-mails, your first upsell.</li>"
            "<li><strong>Cancel any time</strong>: you keep access until the end of the month "
            "you paid for.</li>"
            "</ul>"
        ),
    ),
    DemoProduct(
        slug="starter-checklist",
        name="Starter checklist (free)",
        kind=Product.Kind.DOWNLOAD,
        description="<p>A free one-page checklist: our lead magnet.</p>",
        digistore24_product_id="",
        price=None,
        position=4,
    ),
    DemoProduct(
        slug="starter-bundle",
        name="Starter bundle: workbook and course",
        kind=Product.Kind.BUNDLE,
        description="<p>The workbook and the course together, for less than both alone.</p>",
        digistore24_product_id="510004",
        price=DemoPrice("price_demo_bundle", 5900),
        position=5,
    ),
]

# Cover colours (top left to bottom right) per demo product; the covers are drawn at seed time.
DEMO_COVER_COLOURS = {
    "calm-money-workbook": ("#0f766e", "#99f6e4"),
    "six-day-habit-course": ("#1d4ed8", "#93c5fd"),
    "inner-circle-membership": ("#7c2d12", "#fdba74"),
    "inner-circle-premium": ("#431407", "#f59e0b"),  # magazine/demo.py
    "starter-checklist": ("#3f6212", "#d9f99d"),
    "starter-bundle": ("#581c87", "#d8b4fe"),
}

DEMO_VIDEO_URL = "https://www.youtube.com/watch?v=aqz-KE-bpKQ"  # Big Buck Bunny (CC BY, Blender)

LESSON_START_SMALL = """
<p>Most of us start a business the way we start a diet: with a plan for a new life. Write every
day, film a video a week, answer every e-mail at once, learn the whole member-area software this
weekend. By Thursday the plan is gone, and with it the feeling that we can do this.</p>
<p>This course asks for less. For the next six days you keep <strong>one</strong> habit, and you
make it so small that skipping it would feel silly. Not "write a blog post", but "open the draft
and write two sentences". Not "learn the payment provider", but "read one page of its help".</p>
<h2>Why tiny works</h2>
<p>A coach who built her whole business alone, without any technical background, described it
like this: she never sat down to "set up the shop". She took one small step each morning, and one
day the purchase e-mails, the member area and the drip lessons simply ran on their own. The steps
were small; the habit of taking one every day was what mattered.</p>
<h2>Your task for today</h2>
<ol>
<li>Pick the one thing that would move your business most if you did it every day.</li>
<li>Shrink it until it takes two minutes.</li>
<li>Write it on a card and put the card where you start your working day.</li>
</ol>
<p>Then watch the short video above, mark this lesson complete, and stop. That is all for
today.</p>
"""

LESSON_STACK_IT = """
<p>Attach the habit to something you already do. You will not remember a new habit on willpower
alone, but you never forget your morning coffee, opening your laptop, or checking your sales
dashboard.</p>
<figure>
<img src="{image}" alt="A loop of three steps: cue (after my coffee), routine (write two
sentences), reward (tick the box)" width="800" height="400">
<figcaption>Every habit runs through the same loop: a cue, the routine, a reward.</figcaption>
</figure>
<h2>Write your sentence</h2>
<p>Finish this sentence on your card: <em>"After I ___, I will ___."</em> For example:</p>
<ul>
<li>After I pour my first coffee, I will write two sentences of my lead magnet.</li>
<li>After I open my laptop, I will answer one member question.</li>
<li>After I check yesterday's sales, I will write one line to a past customer.</li>
</ul>
<p>The reward matters more than it seems. Tick a box on the card. It is a small thing, and it is
the thing your brain will start to look forward to.</p>
"""

LESSON_KEEP_THE_CHAIN = """
<p>Six days in, you will have missed a day. Everyone does. What decides whether the habit stays is
not the miss, but the day after it.</p>
<h2>Never miss twice</h2>
<p>Track the habit on a calendar: one cross per day. When you miss a day, forgive it and make the
next day's cross your only goal. One gap is an accident; two gaps are the start of a new habit,
the habit of not doing it.</p>
<h2>Grow it slowly</h2>
<p>Once the tiny version runs on its own for two weeks, let it grow: two sentences become a
paragraph, one member question becomes a short weekly video. Grow it only as fast as it stays
easy. The members of a good membership stay for years because it fits into their lives; your
habits are no different.</p>
<p>Congratulations on finishing the course. Mark this lesson complete and keep your card.</p>
"""

# (title, opens after days, body, free preview): the lessons open on days 0, 3 and 6.
DEMO_LESSONS = [
    ("Day 0: Start small", 0, LESSON_START_SMALL, True),
    ("Day 3: Stack it", 3, LESSON_STACK_IT, False),
    ("Day 6: Keep the chain", 6, LESSON_KEEP_THE_CHAIN, False),
]
DEMO_LESSON_IMAGE = "img/demo/habit-loop.svg"  # in static/, drawn by hand (1 KB)
DEMO_COURSE_BOUGHT_DAYS_AGO = 4  # lessons of days 0 and 3 open, day 6 still locked


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF with one line of text, built by hand so seeding needs no renderer."""
    stream = f"BT /F1 18 Tf 72 760 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _ensure_product(spec: DemoProduct) -> Product:
    product, _created = Product.objects.get_or_create(
        slug=spec.slug,
        defaults={
            "name": spec.name,
            "kind": spec.kind,
            "description": spec.description,
            "digistore24_product_id": spec.digistore24_product_id,
            "whats_included": spec.whats_included,
            "is_published": True,
            "position": spec.position,
        },
    )
    if spec.price is not None:
        Price.objects.get_or_create(
            stripe_price_id=spec.price.stripe_price_id,
            defaults={
                "product": product,
                "amount": spec.price.amount,
                "billing_type": Price.BillingType.RECURRING
                if spec.price.interval
                else Price.BillingType.ONE_TIME,
                "interval": spec.price.interval,
            },
        )
    return product


def _ensure_download(product: Product, title: str) -> None:
    if product.downloads.exists():
        return
    download = Download(product=product, title=title)
    download.file.save(f"{product.slug}.pdf", ContentFile(minimal_pdf(title)), save=False)
    download.save()


def demo_cover(*, title: str, kind: str, colours: tuple[str, str]) -> ContentFile:
    """A 960 × 540 cover: a diagonal gradient, a few circles, the kind and the title."""
    width, height = 960, 540
    start, end = ImageColor.getrgb(colours[0]), ImageColor.getrgb(colours[1])
    # A diagonal gradient from two 2 × 2 pixels, stretched: no per-pixel loop in Python.
    corners = Image.new("RGB", (2, 2))
    middle = tuple((a + b) // 2 for a, b in zip(start, end, strict=True))
    corners.putdata([start, middle, middle, end])
    image = corners.resize((width, height), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image, "RGBA")
    for x, y, radius in ((820, 100, 210), (900, 450, 140), (690, 510, 90)):
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(255, 255, 255, 40))
    small, large = ImageFont.load_default(size=30), ImageFont.load_default(size=60)
    draw.text((64, 64), kind.upper(), font=small, fill=(255, 255, 255, 220))
    lines = textwrap.wrap(title, width=22)[:3]
    for number, line in enumerate(lines):
        draw.text((64, 240 + number * 74), line, font=large, fill=(255, 255, 255, 255))
    out = BytesIO()
    image.save(out, "PNG", compress_level=1)
    return ContentFile(out.getvalue(), name=f"{slugify(title)[:60]}.png")


def _ensure_cover(product: Product) -> None:
    """Draw the demo cover once; a cover already there (the creator's own) is kept."""
    colours = DEMO_COVER_COLOURS.get(product.slug)
    if product.cover or colours is None:
        return
    upload = demo_cover(title=product.name, kind=product.get_kind_display(), colours=colours)
    store_cover(product=product, upload=upload)
    product.save(update_fields=["cover", "cover_width", "cover_height"])


def _ensure_lessons(course: Product) -> None:
    module, _created = Module.objects.get_or_create(
        product=course, position=1, defaults={"title": "Week one"}
    )
    image_url = static(DEMO_LESSON_IMAGE)
    for position, (title, days, body, is_free_preview) in enumerate(DEMO_LESSONS, start=1):
        Lesson.objects.get_or_create(
            module=module,
            title=title,
            defaults={
                "position": position,
                "drip_days": days,
                "body": body.replace("{image}", image_url).strip(),
                "video_url": DEMO_VIDEO_URL if position == 1 else "",
                "is_free_preview": is_free_preview,
            },
        )


@transaction.atomic
def seed_demo_catalog() -> dict[str, Product]:
    """Create the demo catalog once; a second call finds every row and changes nothing."""
    products = {spec.slug: _ensure_product(spec) for spec in DEMO_PRODUCTS}
    _ensure_download(products["calm-money-workbook"], "Calm Money workbook")
    _ensure_download(products["starter-checklist"], "Starter checklist")
    for product in products.values():
        _ensure_cover(product)
    _ensure_lessons(products["six-day-habit-course"])
    bundle = products["starter-bundle"]
    for slug in ("calm-money-workbook", "six-day-habit-course"):
        BundleItem.objects.get_or_create(bundle=bundle, product=products[slug])
    return products


@transaction.atomic
def seed_demo_member_products(*, member, products: dict[str, Product], now: datetime) -> None:
    """The demo member owns the course, bought some days ago, and a running membership.

    Of the course's lessons the first is done, the second open and the third still locked, so
    the member area shows every state. A member who already has a grant keeps it as it is.
    """
    from members.models import AccessGrant
    from members.services import grant_access
    from members.usage import record_first_use, record_lesson_view, set_lesson_completed

    course = products["six-day-habit-course"]
    membership = products["inner-circle-membership"]
    if AccessGrant.objects.filter(member=member, product__in=[course, membership]).exists():
        return
    bought = now - timedelta(days=DEMO_COURSE_BOUGHT_DAYS_AGO)
    reason = "demo data (seed_demo)"
    audit = {"order": None, "source": AccessGrant.Source.ADMIN, "reason": reason}
    course_grant = grant_access(
        member=member, product=course, paid_through=None, now=bought, **audit
    )
    if not _subscribe_in_test_mode(member=member, product=membership, now=now):
        grant_access(
            member=member,
            product=membership,
            paid_through=bought + timedelta(days=30),
            now=bought,
            **audit,
        )
    lesson = Lesson.objects.filter(module__product=course).first()  # in course order
    if lesson is not None:
        read_at = bought + timedelta(hours=1)
        record_first_use(grant=course_grant, now=read_at)
        record_lesson_view(member=member, lesson=lesson, now=read_at)
        set_lesson_completed(member=member, lesson=lesson, completed=True, now=read_at)


def _subscribe_in_test_mode(*, member, product: Product, now: datetime) -> bool:
    """Subscribe the demo member to the membership the way the offline test checkout does: the
    Stripe-shaped, signed test-mode events go through our own webhook and are applied at once,
    so the membership is a Stripe test-mode subscription and "Manage subscription" opens the
    local stand-in for Stripe's portal. False (nothing done) when the test checkout is off
    (a Stripe key is set, or debug is off).
    """
    from billing.models import ProviderEvent
    from billing.providers.base import WaiverConsent
    from billing.providers.stripe import webhook_secrets as secrets
    from billing.providers.stripe_test_checkout import (
        build_test_checkout_events,
        deliver,
        is_available,
    )
    from billing.services import apply_provider_event
    from billing.waiver import WAIVER_VERSION

    price = product.prices.filter(is_active=True).exclude(stripe_price_id=None).first()
    if price is None or not is_available() or not secrets():
        return False
    waiver = WaiverConsent(version=WAIVER_VERSION, at=now)  # ticked, as the demo buyer would
    _session, bodies = build_test_checkout_events(
        price=price, email=member.email, name=member.name, waiver=waiver
    )
    for body in bodies:
        if deliver(body) >= 300:
            raise RuntimeError(f"the demo subscription's event was refused: {body[:80]}")
    event_ids = [json.loads(body)["id"] for body in bodies]
    stored = ProviderEvent.objects.filter(provider="stripe", event_id__in=event_ids)
    by_id = dict(stored.values_list("event_id", "pk"))
    for event_id in event_ids:  # in the order Stripe sent them; the worker later finds them done
        apply_provider_event(event_pk=by_id[event_id], now=now)
    return True
