"""Read-only queries on the catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from products.embeds import embed_url
from products.models import BundleItem, Lesson, LessonAttachment, Module, Price, Product


def published_products() -> QuerySet[Product]:
    active_prices = Price.objects.filter(is_active=True).order_by("amount")
    return Product.objects.filter(is_published=True).prefetch_related(
        Prefetch("prices", queryset=active_prices, to_attr="active_prices")
    )


def catalog_products() -> QuerySet[Product]:
    """Published products with active prices and, for bundles, what they hold (three queries)."""
    items = BundleItem.objects.select_related("product").order_by("product__position", "pk")
    return published_products().prefetch_related(
        Prefetch("bundle_items", queryset=items, to_attr="included_items")
    )


@dataclass
class CurriculumModule:
    module: Module
    lessons: list[Lesson] = field(default_factory=list)


@dataclass(frozen=True)
class SalesPage:
    """What a product's public page shows besides its own fields."""

    product: Product
    curriculum: list[CurriculumModule]
    bundle_products: list[Product]

    @property
    def lesson_count(self) -> int:
        return sum(len(module.lessons) for module in self.curriculum)


def sales_page(*, slug: str) -> SalesPage | None:
    """A published product with its curriculum (a course) or contents (a bundle); None if none.

    Lesson texts are not loaded: the page lists titles and opening days only, and a free
    preview is read on its own page.
    """
    product = catalog_products().filter(slug=slug).first()
    if product is None:
        return None
    curriculum: dict[int, CurriculumModule] = {}
    if product.is_course:
        lessons = (
            Lesson.objects.filter(module__product=product)
            .select_related("module")
            .defer("body", "video_url")
        )
        for lesson in lessons:
            lesson.module.product = product
            curriculum.setdefault(lesson.module_id, CurriculumModule(lesson.module))
            curriculum[lesson.module_id].lessons.append(lesson)
    return SalesPage(
        product=product,
        curriculum=list(curriculum.values()),
        bundle_products=[item.product for item in product.included_items],
    )


def free_preview_lesson(*, slug: str, lesson_pk: int) -> Lesson | None:
    """A free-preview lesson of a published course; any other lesson is None (a 404)."""
    return (
        Lesson.objects.select_related("module__product")
        .filter(
            pk=lesson_pk,
            is_free_preview=True,
            module__product__slug=slug,
            module__product__is_published=True,
        )
        .first()
    )


def product_by_stripe_price_id(stripe_price_id: str) -> Price | None:
    return Price.objects.select_related("product").filter(stripe_price_id=stripe_price_id).first()


def products_granted_by(product: Product) -> list[Product]:
    """A bundle grants each product in it; any other product grants itself."""
    if product.kind != Product.Kind.BUNDLE:
        return [product]
    return [item.product for item in product.bundle_items.select_related("product")]


@dataclass(frozen=True)
class DripPreviewRow:
    number: int
    module: str
    lesson: str
    opens: str


def describe_opening(*, drip_days: int | None, opens_on: date | None) -> str:
    if opens_on is not None:
        return _("opens on %(date)s") % {"date": opens_on.isoformat()}
    days = drip_days or 0
    if days == 0:
        return _("opens at once on purchase")
    return ngettext(
        "opens %(days)d day after purchase", "opens %(days)d days after purchase", days
    ) % {"days": days}


def drip_preview(product: Product) -> list[DripPreviewRow]:
    """The course's lessons in order with when each opens, for the admin's read-only preview."""
    lessons = Lesson.objects.filter(module__product=product).select_related("module")
    return [
        DripPreviewRow(
            number=number,
            module=lesson.module.title,
            lesson=lesson.title,
            opens=describe_opening(drip_days=lesson.drip_days, opens_on=lesson.opens_on),
        )
        for number, lesson in enumerate(lessons, start=1)
    ]


@dataclass(frozen=True)
class PreviewLesson:
    lesson: Lesson
    opening: str  # the drip setting in words
    attachments: list[LessonAttachment]
    video_url: str | None


@dataclass(frozen=True)
class PreviewModule:
    module: Module
    lessons: list[PreviewLesson]


def course_preview(*, slug: str) -> tuple[Product, list[PreviewModule]] | None:
    """A course (published or not) with every lesson's text and attachments, for staff to
    read as a member would; three queries, and nothing about any grant."""
    product = Product.objects.filter(slug=slug, kind=Product.Kind.COURSE).first()
    if product is None:
        return None
    lessons = (
        Lesson.objects.filter(module__product=product)
        .select_related("module")
        .prefetch_related("attachments")
    )
    modules: dict[int, PreviewModule] = {}
    for lesson in lessons:
        lesson.module.product = product
        row = PreviewLesson(
            lesson=lesson,
            opening=describe_opening(drip_days=lesson.drip_days, opens_on=lesson.opens_on),
            attachments=list(lesson.attachments.all()),
            video_url=embed_url(lesson.video_url),
        )
        modules.setdefault(lesson.module_id, PreviewModule(lesson.module, [])).lessons.append(row)
    return product, list(modules.values())
