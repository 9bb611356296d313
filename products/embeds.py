"""Video embeds from an allow-list of hosts. Anything else renders no iframe at all.

Creators paste either an embed URL or the ordinary share URL; both become the host's embed URL.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
_DIGITS = re.compile(r"^\d{1,20}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _youtube(host: str, parts: list[str], query: str) -> str | None:
    if host == "youtu.be" and len(parts) == 1:
        video = parts[0]
    elif parts[:1] == ["embed"] and len(parts) == 2:
        video = parts[1]
    elif parts == ["watch"]:
        video = (parse_qs(query).get("v") or [""])[0]
    else:
        return None
    return f"https://www.youtube-nocookie.com/embed/{video}" if _YOUTUBE_ID.match(video) else None


def _vimeo(host: str, parts: list[str], query: str) -> str | None:
    if host == "player.vimeo.com" and parts[:1] == ["video"] and len(parts) == 2:
        video = parts[1]
    elif host in {"vimeo.com", "www.vimeo.com"} and len(parts) == 1:
        video = parts[0]
    else:
        return None
    return f"https://player.vimeo.com/video/{video}" if _DIGITS.match(video) else None


def _wistia(host: str, parts: list[str], query: str) -> str | None:
    if parts[:2] == ["embed", "iframe"] and len(parts) == 3 and _TOKEN.match(parts[2]):
        return f"https://fast.wistia.net/embed/iframe/{parts[2]}"
    return None


def _bunny(host: str, parts: list[str], query: str) -> str | None:
    if parts[:1] in (["embed"], ["play"]) and len(parts) == 3:
        library, video = parts[1], parts[2]
        if _DIGITS.match(library) and _TOKEN.match(video):
            return f"https://iframe.mediadelivery.net/embed/{library}/{video}"
    return None


ALLOWED_HOSTS = {
    "www.youtube.com": _youtube,
    "youtube.com": _youtube,
    "www.youtube-nocookie.com": _youtube,
    "youtu.be": _youtube,
    "player.vimeo.com": _vimeo,
    "vimeo.com": _vimeo,
    "www.vimeo.com": _vimeo,
    "fast.wistia.net": _wistia,
    "iframe.mediadelivery.net": _bunny,
}


def embed_url(url: str) -> str | None:
    """The https embed URL for an allowed host, or None (then the page shows no video)."""
    try:
        parts = urlsplit((url or "").strip())
        if parts.scheme not in {"https", "http"} or parts.username or parts.password or parts.port:
            return None
    except ValueError:  # e.g. a port that is not a number
        return None
    host = (parts.hostname or "").lower()
    handler = ALLOWED_HOSTS.get(host)
    if handler is None:
        return None
    return handler(host, [p for p in parts.path.split("/") if p], parts.query)
