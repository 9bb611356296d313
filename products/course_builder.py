"""Course builder services: add modules and lessons at the end, and store a new order.

The builder page posts the whole order of one course at once. Every id in it must belong to
that course, else nothing is written: a stale page or a forged post cannot move another
course's lessons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max

from products.models import Lesson, Module, Product
from products.selectors import describe_opening


class OrderRefused(Exception):  # noqa: N818 - a refusal, not a crash
    """The posted order names a module or lesson that is not in the course."""


def next_module_position(*, product: Product) -> int:
    last = Module.objects.filter(product=product).aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def next_lesson_position(*, module: Module) -> int:
    last = Lesson.objects.filter(module=module).aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


@transaction.atomic
def add_module(*, product: Product, title: str) -> Module:
    """A new module, placed after the course's last one."""
    Product.objects.select_for_update().filter(pk=product.pk).first()  # serialise adders
    return Module.objects.create(
        product=product, title=title, position=next_module_position(product=product)
    )


@transaction.atomic
def add_lesson(
    *, module: Module, title: str, drip_days: int | None = 0, opens_on: date | None = None
) -> Lesson:
    """A new lesson, placed after the module's last one. A fixed date replaces the offset."""
    # The product first, as every writer of a course does: the outline-version trigger
    # (products 0004) updates the product row, so locking it last could deadlock.
    Product.objects.select_for_update().filter(pk=module.product_id).first()
    Module.objects.select_for_update().filter(pk=module.pk).first()
    return Lesson.objects.create(
        module=module,
        title=title,
        drip_days=None if opens_on is not None else drip_days,
        opens_on=opens_on,
        position=next_lesson_position(module=module),
    )


@dataclass(frozen=True)
class CourseOrder:
    """Module ids in order, and for each module its lesson ids in order."""

    modules: list[int]
    lessons: dict[int, list[int]]


@transaction.atomic
def reorder_course(*, product: Product, order: CourseOrder) -> int:
    """Store the order (lessons may move between modules); returns the rows changed.

    Raises ``OrderRefused`` and writes nothing if an id is not part of ``product``.
    """
    Product.objects.select_for_update().filter(pk=product.pk).first()  # see ``add_lesson``
    modules = {
        module.pk: module
        for module in Module.objects.select_for_update().filter(product=product).order_by("pk")
    }
    lessons = {
        lesson.pk: lesson
        for lesson in Lesson.objects.select_for_update()
        .filter(module__product=product)
        .order_by("pk")
    }
    posted_lessons = [pk for pks in order.lessons.values() for pk in pks]
    if (
        not set(order.modules) <= modules.keys()
        or not set(order.lessons) <= modules.keys()
        or not set(posted_lessons) <= lessons.keys()
        or len(posted_lessons) != len(set(posted_lessons))
    ):
        raise OrderRefused("the order names an item of another course")
    changed_modules = []
    for position, pk in enumerate(order.modules):
        module = modules[pk]
        if module.position != position:
            module.position = position
            changed_modules.append(module)
    changed_lessons = []
    for module_pk, lesson_pks in order.lessons.items():
        for position, pk in enumerate(lesson_pks):
            lesson = lessons[pk]
            if lesson.position != position or lesson.module_id != module_pk:
                lesson.position, lesson.module_id = position, module_pk
                changed_lessons.append(lesson)
    Module.objects.bulk_update(changed_modules, ["position"])
    Lesson.objects.bulk_update(changed_lessons, ["position", "module"])
    return len(changed_modules) + len(changed_lessons)


@dataclass(frozen=True)
class BuilderLesson:
    lesson: Lesson
    setting: str  # "opens 2 days after purchase" / "opens on 2026-12-24"
    opens_for_buyer_today: date


@dataclass(frozen=True)
class BuilderModule:
    module: Module
    lessons: list[BuilderLesson]


def course_outline(*, product: Product, now: datetime, tz: ZoneInfo) -> list[BuilderModule]:
    """The course's modules and lessons in order, each lesson with its drip setting and the day
    it opens for a member who buys now in ``tz`` (two queries)."""
    today = now.astimezone(tz).date()
    outline = {
        module.pk: BuilderModule(module, [])
        for module in Module.objects.filter(product=product).order_by("position", "pk")
    }
    lessons = Lesson.objects.filter(module__product=product).order_by("position", "pk")
    for lesson in lessons.defer("body"):
        opens = lesson.opens_on or today + timedelta(days=lesson.offset_days)
        setting = describe_opening(drip_days=lesson.drip_days, opens_on=lesson.opens_on)
        outline[lesson.module_id].lessons.append(BuilderLesson(lesson, setting, opens))
    return list(outline.values())
