from django import template

from products.money import format_money
from products.richtext import sanitize_html

register = template.Library()


@register.filter
def sanitized(value: str):
    return sanitize_html(value)


@register.filter
def money(amount: int, currency: str) -> str:
    return format_money(amount, currency)
