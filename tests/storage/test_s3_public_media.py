"""Public uploads in the bucket's public/ prefix: a cover uploaded in the admin is stored there
and still served at the site's own /media/ address; private keys are not reachable that way."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.urls import reverse

from products.models import Product
from tests.factories import DownloadFactory, ProductFactory
from tests.products.test_covers import photo, upload_in_admin

pytestmark = pytest.mark.django_db


def test_a_cover_uploaded_in_the_admin_is_served_from_the_bucket(creator_client, s3_bucket):
    product = ProductFactory(slug="habits", is_published=True)

    assert upload_in_admin(creator_client, product, photo(800, 450)).status_code == 302

    product.refresh_from_db()
    key = f"public/{product.cover.name}"
    assert s3_bucket.keys() == [key]
    assert product.cover.url == f"/media/{product.cover.name}"
    response = creator_client.get(product.cover.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert b"".join(response.streaming_content) == s3_bucket.read(key)


def test_a_private_file_is_not_reachable_under_media(client, s3_bucket):
    item = DownloadFactory()
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="public/covers/x.webp", Body=b"x")

    for path in [f"/media/{item.file.name}", f"/media/covers/../{item.file.name}"]:
        assert client.get(path).status_code == 404, path
    assert client.get("/media/covers/missing.webp").status_code == 404


def test_with_the_store_down_the_catalog_renders_and_a_cover_answers_503(client, store_down):
    product = ProductFactory(slug="habits", is_published=True)
    Product.objects.filter(pk=product.pk).update(
        cover="covers/habits.webp",
        cover_width=800,
        cover_height=450,  # as an upload stores them
    )

    catalog = client.get(reverse("products:catalog"))
    cover = client.get("/media/covers/habits.webp")

    assert catalog.status_code == 200
    assert cover.status_code == 503


def test_move_files_copies_public_uploads_to_the_public_prefix(s3_bucket):
    local = FileSystemStorage()  # MEDIA_ROOT
    assert local.save("covers/habits.webp", ContentFile(b"RIFF cover")) == "covers/habits.webp"
    ProductFactory(cover="covers/habits.webp", cover_width=800, cover_height=450)

    call_command("move_files", "--to", "s3", stdout=io.StringIO(), stderr=io.StringIO())

    assert s3_bucket.read("public/covers/habits.webp") == b"RIFF cover"
