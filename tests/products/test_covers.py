"""Cover images: uploaded in the admin, resized once, served publicly (covers only)."""

from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from products.covers import store_cover
from tests.admin_forms import admin_form_data
from tests.factories import PriceFactory, ProductFactory

pytestmark = pytest.mark.django_db


def photo(width: int, height: int, *, fmt: str = "JPEG", with_exif: bool = False) -> bytes:
    image = Image.new("RGB", (width, height), (200, 80, 40))
    out = BytesIO()
    if with_exif:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0112] = 6  # Orientation: rotated 90° clockwise
        image.save(out, fmt, exif=exif)
    else:
        image.save(out, fmt)
    return out.getvalue()


def upload_in_admin(client, product, data: bytes, name: str = "cover.jpg"):
    url = reverse("admin:products_product_change", args=[product.pk])
    form = admin_form_data(client.get(url))
    form["cover"] = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return client.post(url, form)


def test_a_cover_uploaded_in_the_admin_is_stored_resized_upright_and_without_metadata(
    creator_client,
):
    product = ProductFactory(slug="habits")

    response = upload_in_admin(creator_client, product, photo(4000, 3000, with_exif=True))

    assert response.status_code == 302, response.content.decode()[:2000]
    product.refresh_from_db()
    assert product.cover.name.startswith("covers/")
    assert product.cover.name.endswith(".webp")
    # 4000 × 3000 turned upright by its EXIF orientation is 3000 × 4000, then fitted in 1600.
    assert (product.cover_width, product.cover_height) == (1200, 1600)
    with default_storage.open(product.cover.name) as stored, Image.open(stored) as image:
        assert image.format == "WEBP"
        assert image.size == (1200, 1600)
        assert not image.getexif()


def test_saving_the_product_again_keeps_the_cover_as_it_is(creator_client):
    product = ProductFactory(slug="habits")
    upload_in_admin(creator_client, product, photo(2000, 1000))
    product.refresh_from_db()
    first_name = product.cover.name

    url = reverse("admin:products_product_change", args=[product.pk])
    form = admin_form_data(creator_client.get(url))
    form["name"] = "Habits, renamed"
    assert creator_client.post(url, form).status_code == 302

    product.refresh_from_db()
    assert product.name == "Habits, renamed"
    assert product.cover.name == first_name
    assert (product.cover_width, product.cover_height) == (1600, 800)


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_stored(creator_client):
    product = ProductFactory(slug="habits")

    response = upload_in_admin(creator_client, product, b"%PDF-1.4 not an image", "cover.jpg")

    assert response.status_code == 200
    assert "Upload a valid image" in response.content.decode()
    product.refresh_from_db()
    assert not product.cover


def test_a_small_cover_is_not_enlarged():
    product = ProductFactory()

    store_cover(product=product, upload=ContentFile(photo(640, 360, fmt="PNG"), name="s.png"))

    assert (product.cover_width, product.cover_height) == (640, 360)


def test_the_cover_shows_on_the_catalog_and_the_sales_page_and_is_served_publicly(client):
    product = PriceFactory(product__slug="habits").product
    store_cover(product=product, upload=ContentFile(photo(1600, 900), name="c.jpg"))
    product.save()

    catalog = client.get("/").content.decode()
    sales = client.get("/products/habits/").content.decode()
    image = client.get(product.cover.url)

    tag = f'src="{product.cover.url}" alt="" width="1600" height="900"'
    assert tag in catalog
    assert tag in sales
    assert image.status_code == 200
    assert image["Content-Type"] == "image/webp"
    assert "public" in image["Cache-Control"]


def test_only_covers_are_served_from_media(client):
    default_storage.save("seller/logo.png", ContentFile(photo(10, 10, fmt="PNG")))

    assert client.get("/media/seller/logo.png").status_code == 404
    assert client.get("/media/covers/../seller/logo.png").status_code == 404
    assert client.get("/media/covers/missing.webp").status_code == 404
