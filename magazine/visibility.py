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
from datetime import UTC, date, datetime
from typing import NamedTuple
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


class PostState(NamedTuple):  # a tuple: the issues page makes one per post of the magazine
    status: str
    opens_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def is_listed(self) -> bool:
        return self.status != HIDDEN


HIDDEN_STATE = PostState(HIDDEN)


class Reader:
    """A member's tier grants at ``now``, ready to give many posts their state (issue 20).

    The issues page asks for every post of the magazine; what ``opens_for`` works out from the
    grant alone (the join month, the back-catalogue date, the clock) is worked out here once per
    request, not once per post. Built per member and per ``now``: never kept longer.
    """

    def __init__(
        self, *, memberships: list[Membership], now: datetime, tz: ZoneInfo | None = None
    ) -> None:
        tz = tz or site_zone()
        # Every moment is kept in UTC, as the database hands ``publish_at`` over: comparing two
        # datetimes of one tzinfo is a plain comparison; across zones each asks for offsets.
        self.now = now.astimezone(UTC)
        # Per live grant: (rank, from when a post opens on publishing, when an older post opens
        # (None: never; a post never opens before its publish_at), the grant's clock).
        self._grants: list[tuple[int, datetime, datetime | None, datetime]] = []
        for item in memberships:
            if not grant_allows_access(item.grant, now=now):
                continue
            tier, joined = item.tier, item.grant.starts_at.astimezone(tz).date()
            magazine_start = local_midnight(joined.replace(day=1), tz).astimezone(UTC)
            if tier.visibility == Visibility.BACK_CATALOGUE:
                older = _EARLIEST
            elif tier.visibility == Visibility.MAGAZINE:
                older = None
            else:
                months = tier.back_catalogue_after_months or 0
                paused = item.grant.paused_total or ZERO
                older = (local_midnight(add_months(joined, months), tz) + paused).astimezone(UTC)
            clock = clock_now(item.grant, now=now).astimezone(UTC)
            self._grants.append((tier.rank, magazine_start, older, clock))

    def state(self, *, publish_at: datetime, lowest_rank: int | None, announce: bool) -> PostState:
        """What ``post_state`` answers for this post (the rules in the module docstring)."""
        if lowest_rank is None:
            return HIDDEN_STATE
        first = first_open = None
        for rank, magazine_start, older, clock in self._grants:
            if rank < lowest_rank:
                continue
            if publish_at >= magazine_start:
                at = publish_at
            elif older is None:
                continue
            else:
                at = older if older > publish_at else publish_at
            if first is None or at < first:
                first = at
            if at <= clock and (first_open is None or at < first_open):
                first_open = at  # a paused grant's clock stands still
        if first_open is not None:
            return PostState(OPEN, first_open)
        if first is None:
            return HIDDEN_STATE
        if first <= self.now:  # due, but every grant that would open it is paused: no new issues
            return HIDDEN_STATE
        if first == publish_at and not announce:
            return HIDDEN_STATE
        return PostState(WAITING, first)


_EARLIEST = datetime.min.replace(tzinfo=UTC)  # before any post: the whole back catalogue


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
    reader = Reader(memberships=memberships, now=now, tz=tz)
    return reader.state(publish_at=publish_at, lowest_rank=lowest_rank, announce=announce)
