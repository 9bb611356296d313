"""When a post opens for a member: pure functions of the post, the member's tier grants and now.

Rules (chosen per tier by the creator), all in the site's time zone:

* ``magazine``: posts published from the first day of the month the member joined (the grant's
  ``starts_at``) on. Joining on 15 March opens March's posts, never February's.
* ``back_catalogue``: every published post.
* ``back_catalogue_after``: the magazine rule, and the older posts from local midnight of the
  join date plus N months (15 March + 3 months: 15 June 00:00; 31 January + 1: 28/29 February),
  later by the time the membership was paused (a paused month is not counted).

A paused membership (Stripe's ``pause_collection``) keeps what was open when the pause began and
opens nothing new until it resumes: its clock stands at the pause's start.

A post is never open before ``publish_at``. A tier sees the posts of its own and lower ranks.
Access ends with the grant (``members.access.grant_allows_access``); this module reads no rows.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from magazine.models import Tier
from members.access import ZERO, clock_now, grant_allows_access, local_midnight
from members.models import AccessGrant

Visibility = Tier.Visibility

OPEN = "open"
WAITING = "waiting"  # opens for this member on ``opens_at`` (back catalogue, or an announced post)
HIDDEN = "hidden"  # not for this member: another tier, before their magazine start, unannounced


def site_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Membership:
    """A member's grant of one tier product (the tier is the grant's ``product.tier``)."""

    grant: AccessGrant
    tier: Tier


def opens_for(*, membership: Membership, publish_at: datetime, tz: ZoneInfo) -> datetime | None:
    """When a post published at ``publish_at`` opens for this tier grant; None: never."""
    tier, joined = membership.tier, membership.grant.starts_at.astimezone(tz).date()
    magazine_start = local_midnight(joined.replace(day=1), tz)
    if tier.visibility == Visibility.BACK_CATALOGUE or publish_at >= magazine_start:
        return publish_at
    if tier.visibility == Visibility.MAGAZINE:
        return None
    months = tier.back_catalogue_after_months or 0
    paused = membership.grant.paused_total or ZERO
    return max(publish_at, local_midnight(add_months(joined, months), tz) + paused)


@dataclass(frozen=True)
class PostState:
    status: str
    opens_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def is_listed(self) -> bool:
        return self.status != HIDDEN


def post_state(
    *,
    memberships: list[Membership],
    publish_at: datetime,
    lowest_rank: int | None,
    announce: bool,
    now: datetime,
    tz: ZoneInfo | None = None,
) -> PostState:
    """The post's state for a member holding ``memberships`` (tiers of the post's magazine).

    ``lowest_rank`` is the lowest rank among the post's tiers (None: no tier, nobody sees it).
    Only live grants count. A post not published yet is listed only when ``announce`` is on;
    one waiting for the back catalogue is always listed with its date, without its content.
    """
    tz = tz or site_zone()
    if lowest_rank is None:
        return PostState(HIDDEN)
    live = [
        item
        for item in memberships
        if item.tier.rank >= lowest_rank and grant_allows_access(item.grant, now=now)
    ]
    dates, open_dates = [], []
    for item in live:
        at = opens_for(membership=item, publish_at=publish_at, tz=tz)
        if at is None:
            continue
        dates.append(at)
        if at <= clock_now(item.grant, now=now):  # a paused grant's clock stands still
            open_dates.append(at)
    if open_dates:
        return PostState(OPEN, min(open_dates))
    if not dates:
        return PostState(HIDDEN)
    opens_at = min(dates)
    if opens_at <= now:  # due, but every grant that would open it is paused: no new issues
        return PostState(HIDDEN)
    if opens_at == publish_at and not announce:
        return PostState(HIDDEN)
    return PostState(WAITING, opens_at)
