"""The creator's branding: set in the admin, validated, shown on every page and in e-mails."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from branding.models import Branding
from branding.selectors import current_brand
from members.login_links import send_login_link
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/branding/branding/add/"
VALID = {
    "site_name": "Calm Money Club",
    "accent_colour": "#0f766e",
    "support_email": "help@calm.example",
    "imprint_url": "https://calm.example/imprint",
    "privacy_url": "https://calm.example/privacy",
    "terms_url": "",
}


def test_a_creator_sets_the_brand_and_every_page_shows_it(creator_client, client):
    response = creator_client.post(ADD_URL, VALID)
    assert response.status_code == 302

    page = client.get("/").content.decode()
    assert '<span class="brand-name">Calm Money Club</span>' in page
    assert "· Calm Money Club</title>" in page
    assert "--brand-accent:#0f766e" in page
    assert 'href="https://calm.example/imprint"' in page
    assert 'href="https://calm.example/privacy"' in page
    assert "Terms" not in page  # not set, not linked
    assert "help@calm.example" in page


def test_a_change_in_the_admin_shows_on_the_next_page(
    creator_client, client, django_capture_on_commit_callbacks
):
    creator_client.post(ADD_URL, VALID)
    client.get("/")  # the brand is now cached
    row = Branding.objects.get()

    with django_capture_on_commit_callbacks(execute=True):  # the cache is dropped on commit
        creator_client.post(
            f"/admin/branding/branding/{row.pk}/change/", {**VALID, "site_name": "Renamed"}
        )

    assert '<span class="brand-name">Renamed</span>' in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("accent_colour", "red"),
        ("accent_colour", "#12345"),
        ("accent_colour", "#12345g"),
        ("imprint_url", "javascript:alert(1)"),
        ("privacy_url", "data:text/html,hi"),
        ("terms_url", "ftp://calm.example/terms"),
    ],
)
def test_a_bad_colour_or_link_is_a_form_error_and_nothing_is_saved(creator_client, field, value):
    response = creator_client.post(ADD_URL, {**VALID, field: value})

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Branding.objects.exists()


def test_there_is_only_one_branding_row(creator_client):
    creator_client.post(ADD_URL, VALID)

    assert creator_client.get(ADD_URL).status_code == 403
    listing = creator_client.get("/admin/branding/branding/")
    assert listing.status_code == 302
    assert listing["Location"].endswith(f"/{Branding.objects.get().pk}/change/")


def test_without_settings_pages_show_the_default_name_and_no_legal_links(client):
    page = client.get("/").content.decode()

    assert '<span class="brand-name">Membership</span>' in page
    assert 'class="legal-links"' not in page


def test_a_page_reads_the_brand_from_the_cache(client):
    Branding.objects.create(site_name="Cached Club")
    with CaptureQueriesContext(connection) as cold:
        client.get("/")
    with CaptureQueriesContext(connection) as warm:
        page = client.get("/").content.decode()

    branding_queries = [q for q in warm.captured_queries if "branding_branding" in q["sql"]]
    assert branding_queries == []
    assert len([q for q in cold.captured_queries if "branding_branding" in q["sql"]]) == 1
    assert "Cached Club" in page


def test_another_process_shows_a_saved_brand_within_a_second_without_reading_redis_per_page(
    client, monkeypatch
):
    """Each process keeps the brand it read for a second; a save elsewhere (which drops the
    shared cache entry, not this process's copy) shows here once that second has passed."""
    import branding.selectors as selectors

    clock = [1000.0]
    monkeypatch.setattr(selectors.time, "monotonic", lambda: clock[0])
    Branding.objects.create(site_name="Old Name")
    assert "Old Name" in client.get("/").content.decode()
    reads = []
    real_get = selectors.cache.get
    monkeypatch.setattr(
        selectors.cache, "get", lambda *a, **k: reads.append(a) or real_get(*a, **k)
    )

    Branding.objects.update(site_name="New Name")  # saved by another process:
    selectors.cache.delete(selectors.CACHE_KEY)  # it drops the shared entry
    clock[0] += 0.5
    assert "Old Name" in client.get("/").content.decode()
    assert [read for read in reads if read[0] == selectors.CACHE_KEY] == []

    clock[0] += 0.6  # 1.1 s after this process read it
    page = client.get("/").content.decode()
    assert "New Name" in page
    assert "Old Name" not in page


def test_e_mails_carry_the_brand_in_sender_layout_and_footer(settings):
    settings.DEFAULT_FROM_EMAIL = "Membership <noreply@calm.example>"
    Branding.objects.create(**VALID)
    member = UserFactory(email="ada@example.test")

    send_login_link(member=member)

    message = mail.outbox[0]
    assert message.from_email == "Calm Money Club <noreply@calm.example>"
    html = message.alternatives[0][0]
    assert "Calm Money Club" in html
    assert 'href="https://calm.example/imprint"' in html
    assert "background:#0f766e" in html


def test_the_brand_reads_on_white_even_when_the_accent_is_light():
    from branding.colours import contrast

    Branding.objects.create(site_name="Pale", accent_colour="#ffe066")
    brand = current_brand()

    assert contrast(brand.accent_text, "#ffffff") >= 4.5
    assert brand.accent_inverse == "#000000"  # black labels on a yellow button


def test_the_server_error_page_needs_no_database(django_db_blocker):
    from django.views.defaults import server_error

    request = RequestFactory().get("/")
    with django_db_blocker.block():
        response = server_error(request)

    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Something went wrong</h1>" in html
    assert "/static/css/site.css" in html


def test_the_not_found_page_is_in_the_site_layout(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert "Page not found" in html
    assert "/static/css/site.css" in html
    assert 'class="brand-name"' in html


def test_an_uploaded_logo_shows_in_the_header_and_as_the_favicon(creator_client, client):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#0f766e").save(buffer, format="PNG")
    upload = SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")
    creator_client.post(ADD_URL, {**VALID, "logo": upload})

    page = client.get("/").content.decode()
    logo_url = current_brand().logo_url
    assert f'<link rel="icon" href="{logo_url}">' in page
    assert f'<img class="brand-logo" src="{logo_url}"' in page
    response = client.get(logo_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == buffer.getvalue()


def test_a_file_that_is_not_an_image_is_refused_as_logo(creator_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("logo.png", b"<script>alert(1)</script>", content_type="image/png")
    response = creator_client.post(ADD_URL, {**VALID, "logo": upload})

    assert "logo" in response.context["adminform"].form.errors
    assert not Branding.objects.exists()
