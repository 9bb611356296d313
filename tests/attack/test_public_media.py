"""Public media serves the covers folder and nothing else: not through ``..`` (plain or
encoded), not through a symbolic link to the branding, the invoice logo or the private files."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def media() -> Path:
    root = Path(settings.MEDIA_ROOT)
    (root / "branding").mkdir(parents=True)
    (root / "branding" / "logo.png").write_bytes(b"NOT A COVER")
    (root / "covers").mkdir()
    (root / "covers" / "habits.webp").write_bytes(b"A COVER")
    return root


def served(response) -> bytes:
    return b"".join(response.streaming_content) if response.status_code == 200 else b""


def test_a_symbolic_link_in_the_covers_folder_does_not_lead_out_of_it(client, media):
    (media / "covers" / "link").symlink_to(media / "branding")
    (media / "covers" / "logo.png").symlink_to(media / "branding" / "logo.png")
    (media / "covers" / "private").symlink_to(settings.PRIVATE_MEDIA_ROOT, target_is_directory=True)

    for path in ("covers/link/logo.png", "covers/logo.png"):
        response = client.get(f"/media/{path}")
        assert response.status_code == 404, path
        assert b"NOT A COVER" not in served(response)


@pytest.mark.parametrize(
    "path",
    [
        "covers/../branding/logo.png",
        "covers/%2e%2e/branding/logo.png",
        "covers/..%2fbranding/logo.png",
        "covers%2f..%2fbranding/logo.png",
        "covers/./../branding/logo.png",
        "covers/a%5c..%5c..%5cbranding/logo.png",
        "covers/%00",
        "covers/habits.webp%00.html",
        "branding/logo.png",
    ],
)
def test_paths_out_of_the_covers_folder_are_not_found(client, media, path):
    response = client.get(f"/media/{path}")

    assert response.status_code in (400, 404)  # a NUL is refused before the view
    assert b"NOT A COVER" not in served(response)


def test_a_cover_is_served(client, media):
    response = client.get("/media/covers/habits.webp")

    assert response.status_code == 200
    assert served(response) == b"A COVER"
    assert response["Content-Type"] == "image/webp"
