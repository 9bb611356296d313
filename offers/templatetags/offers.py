"""The order bump's checkbox in a product's buy box: ``{% order_bump price as bump %}``."""

from __future__ import annotations

from django import template

from offers.bumps import OfferedBump, bump_offered_with

register = template.Library()


@register.simple_tag
def order_bump(price) -> OfferedBump | None:
    return bump_offered_with(price)
