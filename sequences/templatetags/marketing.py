"""The profile page's marketing e-mail switch (one query: the member's preference)."""

from __future__ import annotations

from django import template

from membership_site.rows import Precompiled, first_row
from sequences.models import MarketingPreference

register = template.Library()
# Read on every profile page: compiled once per process (issue 20).
_PREFERENCE = Precompiled(
    lambda *, member_pk: first_row(MarketingPreference.objects.filter(member_id=member_pk)),
    member_pk=int,
)


@register.inclusion_tag("sequences/_profile_marketing.html", takes_context=True)
def marketing_preference_section(context) -> dict:
    member = context["request"].user
    preference = _PREFERENCE.first(member_pk=member.pk)
    return {
        "subscribed": preference is None or preference.is_subscribed,
        "csrf_token": context.get("csrf_token"),
        # With the request, the section's fixed runs come from site_chrome's cache.
        "request": context["request"],
        "user": context.get("user"),
        "LANGUAGE_CODE": context.get("LANGUAGE_CODE"),
        "branding": context.get("branding"),
    }
