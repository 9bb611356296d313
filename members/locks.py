"""Row locks on members' rows, always taken in primary-key order so two workers never deadlock."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from members.models import AccessGrant


def grants_for_update() -> QuerySet[AccessGrant]:
    """Call inside a transaction; rows are locked in pk order as they are read."""
    return AccessGrant.objects.select_for_update(of=("self",)).order_by("pk")


def lock_grants(*, pks: Iterable[int]) -> list[AccessGrant]:
    return list(grants_for_update().filter(pk__in=list(pks)).select_related("product", "member"))


def lock_grant(*, pk: int) -> AccessGrant:
    return grants_for_update().select_related("product", "member").get(pk=pk)
