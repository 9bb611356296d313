"""Demo catalog for ``manage.py seed_demo``: every call leaves the same rows."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction

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


DEMO_PRODUCTS = [
    DemoProduct(
        slug="calm-money-workbook",
        name="Calm Money workbook (PDF)",
        kind=Product.Kind.DOWNLOAD,
        description="<p>A 30-page workbook to sort your finances in one weekend.</p>",
        digistore24_product_id="510001",
        price=DemoPrice("price_demo_workbook", 1900),
        position=1,
    ),
    DemoProduct(
        slug="six-day-habit-course",
        name="Six-day habit course",
        kind=Product.Kind.COURSE,
        description="<p>Three lessons, opening on days 0, 3 and 6 after purchase.</p>",
        digistore24_product_id="510002",
        price=DemoPrice("price_demo_course", 4900),
        position=2,
    ),
    DemoProduct(
        slug="inner-circle-membership",
        name="Inner circle membership",
        kind=Product.Kind.MEMBERSHIP,
        description="<p>Monthly live calls and the full archive.</p>",
        digistore24_product_id="510003",
        price=DemoPrice("price_demo_membership_monthly", 2900, interval=Price.Interval.MONTH),
        position=3,
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
        description="<p>The workbook and the course together.</p>",
        digistore24_product_id="510004",
        price=DemoPrice("price_demo_bundle", 5900),
        position=5,
    ),
]

DEMO_LESSONS = [
    ("Day 0: Start small", 0, "<p>Pick one habit and make it tiny.</p>"),
    ("Day 3: Stack it", 3, "<p>Attach the habit to something you already do.</p>"),
    ("Day 6: Keep the chain", 6, "<p>Track it and forgive the misses.</p>"),
]


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


@transaction.atomic
def seed_demo_catalog() -> dict[str, Product]:
    """Create the demo catalog once; a second call finds every row and changes nothing."""
    products = {spec.slug: _ensure_product(spec) for spec in DEMO_PRODUCTS}
    _ensure_download(products["calm-money-workbook"], "Calm Money workbook")
    _ensure_download(products["starter-checklist"], "Starter checklist")
    course = products["six-day-habit-course"]
    module, _created = Module.objects.get_or_create(
        product=course, position=1, defaults={"title": "Week one"}
    )
    for position, (title, days, body) in enumerate(DEMO_LESSONS, start=1):
        Lesson.objects.get_or_create(
            module=module,
            title=title,
            defaults={"position": position, "drip_days": days, "body": body},
        )
    bundle = products["starter-bundle"]
    for slug in ("calm-money-workbook", "six-day-habit-course"):
        BundleItem.objects.get_or_create(bundle=bundle, product=products[slug])
    return products
