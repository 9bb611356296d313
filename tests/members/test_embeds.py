import pytest

from products.embeds import embed_url


@pytest.mark.parametrize(
    ("pasted", "embedded"),
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        (
            "https://www.youtube.com/embed/dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
        ("https://player.vimeo.com/video/76979871", "https://player.vimeo.com/video/76979871"),
        (
            "https://fast.wistia.net/embed/iframe/abc123",
            "https://fast.wistia.net/embed/iframe/abc123",
        ),
        (
            "https://iframe.mediadelivery.net/embed/1234/abc-def",
            "https://iframe.mediadelivery.net/embed/1234/abc-def",
        ),
    ],
)
def test_allowed_hosts_become_embed_urls(pasted, embedded):
    assert embed_url(pasted) == embedded


@pytest.mark.parametrize(
    "pasted",
    [
        "",
        "javascript:alert(1)",
        "https://evil.example/embed/x",
        "https://www.youtube.com.evil.example/embed/dQw4w9WgXcQ",
        "https://user:pw@www.youtube.com/embed/dQw4w9WgXcQ",
        "https://www.youtube.com:8443/embed/dQw4w9WgXcQ",
        "https://www.youtube.com:notaport/embed/x",
        'https://www.youtube.com/embed/x"onload="alert(1)',
        "https://vimeo.com/not-a-number",
        "https://www.youtube.com/playlist?list=abc",
    ],
)
def test_anything_else_gives_no_embed(pasted):
    assert embed_url(pasted) is None
