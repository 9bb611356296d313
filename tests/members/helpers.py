"""Builders shared by the member-area, drip and browser tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from members.models import AccessGrant, User
from products.models import Lesson, Product
from tests.factories import CourseFactory, GrantFactory, LessonFactory, ModuleFactory, UserFactory

# 2025-11-01 12:00 UTC: 05:00 in Los Angeles (PDT, DST ends 2 Nov), 21:00 in Tokyo.
BOUGHT_AT = datetime(2025, 11, 1, 12, 0, tzinfo=UTC)


@dataclass
class Course:
    product: Product
    lessons: list[Lesson]


def make_course(*, days: tuple[int, ...] = (0, 3, 6), slug: str | None = None) -> Course:
    product = CourseFactory(**({"slug": slug} if slug else {}))
    module = ModuleFactory(product=product, title="Week one", position=1)
    lessons = [
        LessonFactory(
            module=module,
            title=f"Lesson {number}",
            body=f"<p>Secret body {number}</p>",
            position=number,
            drip_days=offset,
        )
        for number, offset in enumerate(days, start=1)
    ]
    return Course(product=product, lessons=lessons)


def make_member(*, time_zone: str = "Europe/Berlin", **fields) -> User:
    return UserFactory(time_zone=time_zone, **fields)


def grant(member: User, product: Product, **fields) -> AccessGrant:
    fields.setdefault("starts_at", BOUGHT_AT)
    return GrantFactory(member=member, product=product, **fields)
