"""Read-only queries for the member area. Each page runs a fixed number of queries, whatever the
number of products, modules and lessons: rows are loaded per kind in one query and joined here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, cached_property
from typing import TYPE_CHECKING, NamedTuple

from django.db import connection
from django.db.models import DateTimeField, Value
from django.http import Http404
from django.utils.dateparse import parse_datetime

from billing.selectors import BillingLine, billing_line_for_grant, with_subscription_of_order
from drip.models import LessonNotice
from members.access import (
    LIVE_STATES,
    LessonState,
    Openings,
    access_ends_at,
    compute_lesson_state,
    effective_state,
)
from members.models import AccessGrant, LessonProgress
from membership_site.rows import Precompiled, columns_for, fetch_one, is_storable_id
from products.models import Download, Lesson, Module, Product
from products.outline import Outline, OutlineLesson, OutlineModule, course_outlines

if TYPE_CHECKING:
    from members.course_summary import CourseSummary

VIEW_REFRESH = timedelta(minutes=5)  # how stale a repeated view may be before it is written


@dataclass(frozen=True)
class LessonRow:
    lesson: OutlineLesson
    state: LessonState
    is_done: bool
    last_viewed_at: datetime | None


@dataclass
class ModuleRow:
    module: OutlineModule
    lessons: list[LessonRow] = field(default_factory=list)


@dataclass(frozen=True)
class CourseProgress:
    rows: list[LessonRow]
    modules: list[ModuleRow]
    done: int
    total: int
    continue_row: LessonRow | None
    next_opening: LessonRow | None

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    def neighbours(self, lesson_pk: int) -> tuple[LessonRow | None, LessonRow | None]:
        index = next(i for i, row in enumerate(self.rows) if row.lesson.pk == lesson_pk)
        previous = self.rows[index - 1] if index > 0 else None
        following = self.rows[index + 1] if index + 1 < len(self.rows) else None
        return previous, following

    def row(self, lesson_pk: int) -> LessonRow:
        return next(row for row in self.rows if row.lesson.pk == lesson_pk)

    def is_latest_view(self, row: LessonRow, *, now: datetime) -> bool:
        """``row`` is already the course's most recent view, from less than VIEW_REFRESH ago.

        Recording such a view again would not change the drip evidence (nor anything a page
        shows), so a member reloading a lesson costs no write (and no row lock).
        """
        if row.last_viewed_at is None or now - row.last_viewed_at >= VIEW_REFRESH:
            return False
        return all(
            other.last_viewed_at is None or other.last_viewed_at <= row.last_viewed_at
            for other in self.rows
        )


class Viewed(NamedTuple):
    last_viewed_at: datetime
    is_done: bool  # completed (pages show whether, never when)


@dataclass(frozen=True)
class CourseData:
    """Lessons, views and recorded openings of some courses for one member (two queries)."""

    lessons_by_product: dict[int, list[OutlineLesson]]
    views: dict[int, Viewed]
    recorded_open_at: dict[int, datetime]
    outlines: dict[int, Outline] = field(default_factory=dict)  # by product id, when loaded so

    @cached_property  # (written to the instance's __dict__, which frozen allows)
    def done_lessons(self) -> frozenset[int]:
        """The lessons the member completed: one set for all courses of a page."""
        return frozenset(pk for pk, viewed in self.views.items() if viewed.is_done)


def _views_and_openings(*, member, **lessons) -> tuple[dict[int, Viewed], dict[int, datetime]]:
    """The member's views of the lessons, and the latest moment each was recorded open (a view
    or a drip notice), in one query: the union of both tables, marked by the last column.
    """
    no_date = Value(None, output_field=DateTimeField())
    viewed = (
        LessonProgress.objects.filter(member=member, **lessons)
        .order_by()
        .values_list("lesson_id", "last_viewed_at", "completed_at", Value(1))
    )
    noticed = (
        LessonNotice.objects.filter(member=member, **lessons)
        .order_by()
        .values_list("lesson_id", "created_at", no_date, Value(0))
    )
    views: dict[int, Viewed] = {}
    recorded: dict[int, datetime] = {}
    for lesson_pk, at, completed_at, is_view in viewed.union(noticed, all=True):
        if is_view:
            views[lesson_pk] = Viewed(at, completed_at is not None)
        if lesson_pk not in recorded or at > recorded[lesson_pk]:
            recorded[lesson_pk] = at
    return views, recorded


NOTICE, VIEW, VIEW_DONE = 0, 1, 2  # the kinds of row ``_course_views_sql`` reads


@cache
def _course_views_sql(products: int) -> str:
    """``_views_and_openings`` for the lessons of ``products`` courses, as SQL written once: the
    ORM would build and compile the same union on every member page (issue 20's profile)."""
    lesson, module = Lesson._meta.db_table, Module._meta.db_table
    ids = ", ".join(["%s"] * products)

    def part(table: str, at: str, kind: str) -> str:
        # Table and column names come from the models; every value is a parameter.
        select = f"SELECT r.lesson_id, r.{at}, {kind} FROM {table} r "  # noqa: S608
        join = f"JOIN {lesson} l ON l.id = r.lesson_id JOIN {module} m ON m.id = l.module_id "
        return f"{select}{join}WHERE r.member_id = %s AND m.product_id IN ({ids})"

    # The kind of row: a view (1, or 2 once completed) or a drip notice (0). A number, not the
    # completion's timestamp: pages show whether a lesson is done, and a timestamp costs the
    # driver several times more to read (issue 20).
    done = f"CASE WHEN r.completed_at IS NULL THEN {VIEW} ELSE {VIEW_DONE} END"
    viewed = part(LessonProgress._meta.db_table, "last_viewed_at", done)
    noticed = part(LessonNotice._meta.db_table, "created_at", str(NOTICE))
    return f"{viewed} UNION ALL {noticed}"


def _aware(value: datetime | str | None) -> datetime | None:
    """A timestamp as the ORM would give it: SQLite hands raw SQL naive UTC (or text)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _course_views_and_openings(*, member, product_ids: list[int]):
    """``_views_and_openings`` of every lesson of the courses ``product_ids``, same answer."""
    params = [member.pk, *product_ids, member.pk, *product_ids]
    # Ids, a timestamp and a number: binary rows on PostgreSQL (membership_site.postgresql).
    with getattr(connection, "binary_cursor", connection.cursor)() as cursor:
        cursor.execute(_course_views_sql(len(product_ids)), params)
        rows = cursor.fetchall()
    if connection.vendor != "postgresql":  # PostgreSQL's rows hold aware datetimes already
        rows = [(lesson_pk, _aware(at), kind) for lesson_pk, at, kind in rows]
    views: dict[int, Viewed] = {}
    recorded: dict[int, datetime] = {}
    for lesson_pk, at, kind in rows:
        if kind != NOTICE:
            views[lesson_pk] = Viewed(at, kind == VIEW_DONE)
        previous = recorded.get(lesson_pk)
        if previous is None or at > previous:
            recorded[lesson_pk] = at
    return views, recorded


def recorded_openings(*, member, lessons: Iterable[int]) -> dict[int, datetime]:
    """Latest moment each lesson was recorded open for the member: a view or a drip notice."""
    return _views_and_openings(member=member, lesson_id__in=lessons)[1]


def load_course_data(*, member, products: list[Product]) -> CourseData:
    """Outlines of ``products`` (courses the caller already holds) for ``member``: the outlines
    from the per-process cache (``products.outline``; one query for those not cached), the
    member's views and recorded openings in one query."""
    if not products:
        return CourseData({}, {}, {})
    outlines = course_outlines(products)
    by_product = {pk: list(outline.lessons) for pk, outline in outlines.items() if outline.lessons}
    product_ids = [product.pk for product in products]
    views, recorded = _course_views_and_openings(member=member, product_ids=product_ids)
    return CourseData(by_product, views, recorded, outlines)


def build_course_progress(
    *,
    member,
    grant: AccessGrant | None,
    lessons: list[OutlineLesson],
    data: CourseData,
    now: datetime,
) -> CourseProgress:
    tz = member.zone
    openings = Openings(grant, tz) if grant is not None else None
    rows: list[LessonRow] = []
    modules: dict[int, ModuleRow] = {}
    for lesson in lessons:
        viewed = data.views.get(lesson.pk)
        state = compute_lesson_state(
            grant=grant,
            lesson=lesson,
            tz=tz,
            now=now,
            openings=openings,
            recorded_open_at=data.recorded_open_at.get(lesson.pk),
        )
        row = LessonRow(
            lesson=lesson,
            state=state,
            is_done=bool(viewed and viewed.is_done),
            last_viewed_at=viewed.last_viewed_at if viewed else None,
        )
        rows.append(row)
        modules.setdefault(lesson.module_id, ModuleRow(lesson.module)).lessons.append(row)
    locked = [row for row in rows if row.state.is_locked]
    return CourseProgress(
        rows=rows,
        modules=list(modules.values()),
        done=sum(row.is_done for row in rows),
        total=len(rows),
        continue_row=_continue_row(rows),
        # The earliest instant: openings share the member's zone, and Python compares times
        # with one tzinfo by their local reading, which misorders a time in a DST gap.
        next_opening=min(locked, key=lambda row: row.state.opens_at.astimezone(UTC))
        if locked
        else None,
    )


def _continue_row(rows: list[LessonRow]) -> LessonRow | None:
    """The first open lesson not done yet, in course order; None once every open one is done.

    Never a finished lesson: with nothing left to do, the page says what opens next instead.
    """
    return next((row for row in rows if row.state.is_open and not row.is_done), None)


@dataclass(frozen=True)
class DashboardItem:
    product: Product
    grant: AccessGrant
    state: str
    ends_at: datetime | None
    course: CourseProgress | CourseSummary | None
    billing: BillingLine | None = None  # the subscription that pays for it, if any

    @property
    def url(self) -> str:
        """The member's page: a tier opens its magazine's issues, anything else its own page."""
        return self.url_in(None)

    def url_in(self, url_context: tuple | None) -> str:
        """``url`` with ``membership_site.url_cache.url_context()`` read once for all cards."""
        tier = self.product.tier_or_none
        return (tier.magazine if tier else self.product).get_absolute_url(url_context)

    @property
    def included_by(self) -> Product | None:
        """The tier product whose membership includes this course (no grant of its own)."""
        tier_grant = self.grant.included_by
        return tier_grant.product if tier_grant else None

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES

    @property
    def opens_at(self) -> datetime | None:
        """Pending for want of a withdrawal waiver (``billing.waiver``): when it opens."""
        return self.grant.withheld_until if self.state == AccessGrant.State.PENDING else None

    @property
    def is_complimentary(self) -> bool:
        return self.grant.source == AccessGrant.Source.COMPLIMENTARY

    @property
    def is_lapsed(self) -> bool:
        """Ended for want of payment (billing can fix it), not by a cancellation: recorded so,
        or run out of paid time before anything recorded it. A gift that ran out is not."""
        if self.state != AccessGrant.State.EXPIRED or self.grant.paid_through is None:
            return False
        if self.is_complimentary:
            return False
        return self.grant.ended_unpaid or self.grant.state in LIVE_STATES


def _dashboard_grants(*, member_pk: int):
    """The member's grants of published products, with product (tier, magazine), order and the
    order's subscription: one statement, compiled once per process (``Precompiled``)."""
    grants = AccessGrant.objects.filter(member_id=member_pk, product__is_published=True)
    return with_subscription_of_order(grants).select_related("product__tier__magazine")


_DASHBOARD_GRANTS = Precompiled(_dashboard_grants, member_pk=int)
_ORDER = {AccessGrant.State.ACTIVE: 0, AccessGrant.State.GRACE: 0, AccessGrant.State.PENDING: 1}


def dashboard_items(*, member, now: datetime) -> list[DashboardItem]:
    """The member's products: live (active or in grace) first, then pending, then ended.

    A course's card needs only its summary (``members.course_summary``), not a row per lesson.
    """
    from members.course_summary import summarise_course

    grants = _DASHBOARD_GRANTS.run(member_pk=member.pk)
    grants += _included_courses(grants, now=now)
    states = {id(grant): effective_state(grant, now=now) for grant in grants}
    live_courses = [
        grant.product
        for grant in grants
        if grant.product.is_course and states[id(grant)] in LIVE_STATES
    ]
    # By id, as ``grant.product in live_courses`` compared: an ended grant of a course the
    # member also holds through a tier shows its progress too.
    live_course_ids = {product.pk for product in live_courses}
    data, tz = load_course_data(member=member, products=live_courses), member.zone
    items = [
        DashboardItem(
            product=grant.product,
            grant=grant,
            state=states[id(grant)],
            ends_at=access_ends_at(grant),
            course=summarise_course(
                grant=grant,
                lessons=data.lessons_by_product.get(grant.product_id, []),
                data=data,
                tz=tz,
                now=now,
                outline=data.outlines.get(grant.product_id),
            )
            if grant.product_id in live_course_ids
            else None,
            billing=billing_line_for_grant(grant) if grant.pk else None,
        )
        for grant in grants
    ]
    items.sort(
        key=lambda item: (_ORDER.get(item.state, 2), item.product.position, item.product.name)
    )
    return items


def _included_courses(grants: list[AccessGrant], *, now: datetime) -> list[AccessGrant]:
    """Derived grants of courses included in the member's tiers that they do not own live
    (one query, only for a member of a tier)."""
    from magazine.access import included_course_grants

    tier_grants = [grant for grant in grants if grant.product.tier_or_none]
    owned = {grant.product_id for grant in grants if grant.state in LIVE_STATES}
    included = included_course_grants(tier_grants=tier_grants, now=now)
    return [grant for grant in included if grant.product_id not in owned]


def _published_product(*, slug: str):
    products = Product.objects.filter(slug=slug, is_published=True)
    return products.select_related("tier__magazine")[:1]  # as .first(): the model's order


_PUBLISHED_PRODUCT = Precompiled(_published_product, slug=str)


def published_product_or_404(*, slug: str) -> Product:
    """A published product by slug, with its tier and magazine (SQL compiled once)."""
    found = _PUBLISHED_PRODUCT.run(slug=slug)
    if not found:
        raise Http404
    return found[0]


@cache
def _course_lesson_sql(vendor: str) -> str:
    """``course_lesson_or_404``'s statement, written once (issue 20: the queryset took longer to
    build and compile than the database took to answer it)."""
    lesson, module, product = (
        columns_for(Lesson, "l"),
        columns_for(Module, "m"),
        columns_for(Product, "p"),
    )
    tables = (
        f"{Lesson._meta.db_table} l JOIN {Module._meta.db_table} m ON m.id = l.module_id "
        f"JOIN {Product._meta.db_table} p ON p.id = m.product_id"
    )
    return (
        f"SELECT {lesson.sql}, {module.sql}, {product.sql} FROM {tables} "  # noqa: S608 - names from the models
        "WHERE l.id = %s AND p.slug = %s AND p.is_published LIMIT 1"
    )


def course_lesson_or_404(*, slug: str, lesson_pk: int) -> Lesson:
    """A lesson of a published course, with its module and product; another course's lesson or
    an unknown id is a 404."""
    if not is_storable_id(lesson_pk):
        raise Http404
    row = fetch_one(_course_lesson_sql(connection.vendor), [lesson_pk, slug])
    if row is None:
        raise Http404
    lesson, module, product = (
        columns_for(Lesson, "l"),
        columns_for(Module, "m"),
        columns_for(Product, "p"),
    )
    found = lesson.build(row)
    found.module = module.build(row, lesson.width)
    found.module.product = product.build(row, lesson.width + module.width)
    return found


_PRODUCT_DOWNLOADS = Precompiled(
    lambda *, product_pk: Download.objects.filter(product_id=product_pk), product_pk=int
)


def product_downloads(*, product: Product) -> list[Download]:
    return _PRODUCT_DOWNLOADS.run(product_pk=product.pk)


def owned_product_ids(*, member, products: Iterable[Product], now: datetime) -> set[int]:
    """Which of ``products`` the member can open now, in one query (none for a visitor).

    A bundle counts as owned when every product in it is: buying a bundle grants its products,
    not the bundle. Bundles must carry ``included_items`` (``products.selectors.catalog_products``).
    """
    if not member.is_authenticated:
        return set()
    products = list(products)
    included = {
        product.pk: [item.product_id for item in getattr(product, "included_items", [])]
        for product in products
        if product.is_bundle
    }
    wanted = {product.pk for product in products}.union(*included.values())
    grants = AccessGrant.objects.filter(
        member=member, product_id__in=wanted, state__in=LIVE_STATES
    ).only("product_id", "state", "paid_through", "withheld_until")
    owned = {grant.product_id for grant in grants if effective_state(grant, now=now) in LIVE_STATES}
    owned.update(bundle for bundle, items in included.items() if items and owned.issuperset(items))
    return owned
