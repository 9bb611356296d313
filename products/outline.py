"""A course's outline (modules, lessons, drip settings, member URLs) cached per process.

The outline is the same for every member: what differs (the grant, views, lock states) is
computed per request from it (``members.selectors``). It is keyed by the product's id and
``outline_version``, which database triggers move on whenever the product, one of its modules,
lessons or lesson files is written, by any path (migration products 0004). The version comes
with the product row a page reads anyway, so a warm outline costs no query and no cache round
trip, and a changed course shows on the very next request in every process.

Entries are immutable (frozen dataclasses and tuples) because threads share them; the cache
holds the newest ``MAX_ENTRIES`` outlines and forgets the rest.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.html import escape

from products.models import Lesson, LessonAttachment, Product

MAX_ENTRIES = 512


@dataclass(frozen=True, slots=True)
class OutlineModule:
    pk: int
    title: str
    position: int


@dataclass(frozen=True, slots=True)
class OutlineLesson:
    """What outlines, drip maths and navigation need of a lesson; no text."""

    pk: int
    title: str
    module: OutlineModule
    drip_days: int | None
    opens_on: date | None
    is_free_preview: bool
    has_attachments: bool
    url: str  # the member's lesson page
    title_html: str = ""  # ``title`` and ``url`` escaped for HTML, once per process
    url_html: str = ""
    # Worked out once per outline, not on each of the dashboard's reads (a property each time):
    offset_days: int = field(init=False)  # ``drip_days`` or 0
    opening_key: date | int = field(init=False)  # what its opening depends on (``Openings``)

    def __post_init__(self) -> None:
        object.__setattr__(self, "offset_days", self.drip_days or 0)
        object.__setattr__(self, "opening_key", self.opens_on or self.offset_days)

    @property
    def module_id(self) -> int:
        return self.module.pk

    def get_absolute_url(self) -> str:
        return self.url


@dataclass(frozen=True, slots=True)
class Outline:
    product_pk: int
    version: int
    lessons: tuple[OutlineLesson, ...]  # in course order
    # Worked out once per outline, for the dashboard's summaries (members.course_summary):
    lesson_pks: frozenset[int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lesson_pks", frozenset(lesson.pk for lesson in self.lessons))


_cache: OrderedDict[tuple[int, int], Outline] = OrderedDict()
_lock = threading.Lock()


def _remember(outline: Outline) -> None:
    with _lock:
        _cache[(outline.product_pk, outline.version)] = outline
        while len(_cache) > MAX_ENTRIES:
            _cache.popitem(last=False)


def forget_all() -> None:
    """Empty this process's cache (tests; never needed for correctness)."""
    with _lock:
        _cache.clear()


def course_outlines(products: Iterable[Product]) -> dict[int, Outline]:
    """The outline of each product, by product id: cached ones at no cost, the others in one
    query (two if some lesson has files)."""
    products = list(products)
    found: dict[int, Outline] = {}
    missing: list[Product] = []
    for product in products:
        outline = _cache.get((product.pk, product.outline_version))
        if outline is None:
            missing.append(product)
        else:
            found[product.pk] = outline
    if missing:
        for outline in _load(missing):
            found[outline.product_pk] = outline
            _remember(outline)
    return found


def course_outline(product: Product) -> Outline:
    return course_outlines([product])[product.pk]


def _load(products: list[Product]) -> list[Outline]:
    """Read outlines from the database (one query). The version stored is the one the caller
    read with the product row; this later statement sees at least what that one saw (read
    committed), so an outline is never older than its key."""
    by_pk = {product.pk: product for product in products}
    has_files = Exists(LessonAttachment.objects.filter(lesson=OuterRef("pk")))
    rows = (
        Lesson.objects.filter(module__product_id__in=by_pk)
        .order_by("module__position", "module_id", "position", "pk")
        .values_list(
            "pk", "title", "drip_days", "opens_on", "is_free_preview", has_files,
            "module_id", "module__title", "module__position", "module__product_id",
        )
    )  # fmt: skip
    lessons: dict[int, list[OutlineLesson]] = {pk: [] for pk in by_pk}
    modules: dict[int, OutlineModule] = {}
    for row in rows:
        pk, title, drip_days, opens_on, preview, files, module_pk, module_title, position = row[:9]
        product = by_pk[row[9]]
        module = modules.get(module_pk)
        if module is None:
            module = modules[module_pk] = OutlineModule(module_pk, module_title, position)
        url = reverse("members:lesson", kwargs={"slug": product.slug, "lesson_pk": pk})
        lessons[product.pk].append(
            OutlineLesson(
                pk,
                title,
                module,
                drip_days,
                opens_on,
                preview,
                files,
                url,
                title_html=escape(title),
                url_html=escape(url),
            )  # fmt: skip
        )
    return [
        Outline(product.pk, product.outline_version, tuple(lessons[product.pk]))
        for product in products
    ]
