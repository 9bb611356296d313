"""The profile page's marketing e-mail switch (one query: the member's preference)."""

from __future__ import annotations

from django import template

from sequences.models import MarketingPreference

register = template.Library()


@register.inclusion_tag("sequences/_profile_marketing.html", takes_context=True)
def marketing_preference_section(context) -> dict:
    member = context["request"].user
    preference = MarketingPreference.objects.filter(member_id=member.pk).first()
    return {
        "subscribed": preference is None or preference.is_subscribed,
        "csrf_token": context.get("csrf_token"),
    }
