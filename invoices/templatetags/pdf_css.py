from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def css_string(value: object) -> SafeString:
    """Escape text for a CSS string literal: every character but letters, digits and spaces
    becomes a CSS hex escape (``-`` → ``\\2d ``), so nothing can close the string or the rule."""
    text = str(value)
    escaped = "".join(
        char if char.isalnum() and char.isascii() or char == " " else f"\\{ord(char):x} "
        for char in text
    )
    return mark_safe(escaped)  # noqa: S308 - only escapes and alphanumerics remain
