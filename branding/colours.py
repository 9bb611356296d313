"""Colour contrast (WCAG 2 relative luminance) for a creator's accent colour."""

from __future__ import annotations


def _channels(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(_channels(a)), _luminance(_channels(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def inverse_text(background: str) -> str:
    """#ffffff or #000000, whichever has more contrast on ``background``."""
    return (
        "#ffffff"
        if contrast(background, "#ffffff") >= contrast(background, "#000000")
        else "#000000"
    )


def readable_on_white(colour: str, *, ratio: float = 4.5) -> str:
    """``colour``, darkened in steps until it has ``ratio`` contrast against white."""
    r, g, b = _channels(colour)
    while contrast(f"#{r:02x}{g:02x}{b:02x}", "#ffffff") < ratio:
        r, g, b = (int(c * 0.9) for c in (r, g, b))
    return f"#{r:02x}{g:02x}{b:02x}"
