"""``{% waiver_text VERSION %}``: the withdrawal-waiver text of a stored version, translated."""

from django import template

from billing.waiver import waiver_text as text_of

register = template.Library()


@register.simple_tag
def waiver_text(version: str) -> str:
    return text_of(version)
