"""Duplicate a product: the structure a creator built, unpublished, under a new slug."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from products.models import (
    BundleItem,
    Download,
    Lesson,
    LessonAttachment,
    LessonImage,
    Module,
    Price,
    Product,
)


def free_copy_slug(slug: str) -> str:
    base = slugify(f"{slug}-copy")[:190]
    candidate, number = base, 1
    while Product.objects.filter(slug=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _copy(instance, **changes):
    instance.pk = None
    instance.id = None
    instance._state.adding = True
    for name, value in changes.items():
        setattr(instance, name, value)
    instance.save()
    return instance


@transaction.atomic
def duplicate_product(*, product: Product) -> Product:
    """A new unpublished product with the same modules, lessons (with their images and
    attachments), prices, downloads and bundle items.

    Stripe price ids and the Digistore24 product id are not copied: they name the original's
    prices at the provider, and a payment for them must keep granting the original.
    Files are shared with the original, not copied.
    """
    source_pk = product.pk
    copy = Product.objects.get(pk=source_pk)
    copy = _copy(
        copy,
        name=(_("%(name)s (copy)") % {"name": product.name})[:200],
        slug=free_copy_slug(product.slug),
        is_published=False,
        digistore24_product_id="",
    )
    for price in Price.objects.filter(product_id=source_pk).order_by("pk"):
        _copy(price, product=copy, stripe_price_id=None)
    for download in Download.objects.filter(product_id=source_pk).order_by("pk"):
        _copy(download, product=copy)
    for item in BundleItem.objects.filter(bundle_id=source_pk).order_by("pk"):
        _copy(item, bundle=copy)
    for module in Module.objects.filter(product_id=source_pk).order_by("pk"):
        lessons = list(Lesson.objects.filter(module=module).order_by("pk"))
        module_copy = _copy(module, product=copy)
        for lesson in lessons:
            source_lesson_pk = lesson.pk
            lesson_copy = _copy(lesson, module=module_copy)
            for attachment in LessonAttachment.objects.filter(lesson_id=source_lesson_pk):
                _copy(attachment, lesson=lesson_copy)
            for image in LessonImage.objects.filter(lesson_id=source_lesson_pk):
                _copy(image, lesson=lesson_copy)
    return copy
