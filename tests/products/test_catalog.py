import pytest
from django.utils import translation

from products.money import format_money
from products.richtext import sanitize_html
from tests.factories import PriceFactory, ProductFactory, RecurringPriceFactory

pytestmark = pytest.mark.django_db


def test_catalog_lists_published_products_with_prices(client):
    PriceFactory(product__name="Calm workbook", amount=1900)
    RecurringPriceFactory(product__name="Inner circle", amount=2900)
    ProductFactory(name="Secret draft", is_published=False)

    html = client.get("/").content.decode()

    assert "Calm workbook" in html
    assert "€19.00" in html
    assert "Inner circle" in html
    assert "€29.00 / month" in html
    assert "Secret draft" not in html


def test_product_page_shows_sanitized_description(client):
    product = ProductFactory(
        slug="ebook",
        description='<p onclick="steal()">Read <b>this</b></p><script>alert(1)</script>'
        '<a href="javascript:alert(1)">x</a>',
    )
    PriceFactory(product=product, amount=4900)

    html = client.get("/products/ebook/").content.decode()

    assert "<p>Read <b>this</b></p>" in html
    assert "<script>alert(1)" not in html
    assert "steal()" not in html
    assert "javascript:" not in html


def test_unpublished_or_unknown_product_page_is_404(client):
    ProductFactory(slug="draft", is_published=False)

    assert client.get("/products/draft/").status_code == 404
    assert client.get("/products/nope/").status_code == 404


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "€1,234.50"), ("de", "1.234,50\u00a0€"), ("nl", "1.234,50\u00a0€")],
)
def test_money_is_formatted_by_locale_without_floats(language, expected):
    with translation.override(language):
        assert format_money(123450, "EUR") == expected


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "-€49.00"), ("de", "-49,00\u00a0€"), ("nl", "-49,00\u00a0€")]
)
def test_negative_amounts_lead_with_the_minus(language, expected):
    with translation.override(language):
        assert format_money(-4900, "EUR") == expected


def test_zero_decimal_currency_has_no_minor_units():
    with translation.override("en"):
        assert format_money(5000, "JPY") == "¥5,000"


def test_sanitizer_keeps_links_safe():
    html = sanitize_html('<a href="https://example.com" target="_blank">site</a>')

    assert html == ('<a href="https://example.com" rel="noopener noreferrer nofollow">site</a>')


def test_product_and_lesson_urls_point_into_the_member_area():
    from tests.factories import LessonFactory

    lesson = LessonFactory(module__product__slug="habits")

    assert lesson.module.product.get_absolute_url() == "/members/products/habits/"
    assert lesson.get_absolute_url() == f"/members/courses/habits/lessons/{lesson.pk}/"
