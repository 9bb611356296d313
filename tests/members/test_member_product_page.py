"""A member's page of a product that is not a course: its text (sanitized), its files in a card,
or, for a membership with nothing published yet, a sentence saying so instead of a blank page."""

import pytest
from django.utils import timezone

from tests.factories import DownloadFactory, ProductFactory
from tests.members.helpers import grant, make_member

pytestmark = pytest.mark.django_db


def page_of(client, product) -> str:
    member = make_member(email="ada@example.test", language="en")
    grant(member, product, starts_at=timezone.now())
    client.force_login(member)
    return client.get(product.get_absolute_url()).content.decode()


def test_a_membership_with_nothing_published_says_so(client):
    html = page_of(client, ProductFactory(kind="membership", description="", whats_included=""))

    assert "Nothing here yet. New content appears on this page as soon as it is published." in html


def test_the_members_page_shows_the_creators_text_sanitized(client):
    product = ProductFactory(
        kind="membership",
        description='<p onclick="steal()">Welcome <b>in</b></p><script>alert(1)</script>',
        whats_included='<ul><li><a href="javascript:alert(1)">A live call</a></li></ul>',
    )

    html = page_of(client, product)

    assert "Welcome <b>in</b>" in html
    assert "A live call" in html
    assert "<script>alert" not in html
    assert "onclick" not in html
    assert "javascript:" not in html
    assert "Nothing here yet" not in html


def test_a_download_lists_its_files_and_no_empty_note(client):
    product = DownloadFactory(
        title="Workbook", product__kind="download", product__description=""
    ).product

    html = page_of(client, product)

    assert "Workbook</a>" in html
    assert "Nothing here yet" not in html
