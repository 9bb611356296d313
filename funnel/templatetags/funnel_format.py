from __future__ import annotations

from django import template

from funnel.presentation import format_percent

register = template.Library()


@register.filter
def percent(value) -> str:
    return format_percent(value)


@register.filter
def label(labels: dict, key: str) -> str:
    return labels[key]
