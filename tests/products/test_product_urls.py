"""A product's member page URL is reversed once per process and slug (issue 20: a lesson page
wrote it twice, a reverse each), and follows a changed slug at once."""

from __future__ import annotations

from uuid import uuid4

import pytest

import products.models
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


def _count_reverses(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = products.models.reverse

    def counting(name, *args, **kwargs):
        calls.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(products.models, "reverse", counting)
    return calls


def test_the_url_is_reversed_once_and_follows_a_new_slug(monkeypatch):
    calls = _count_reverses(monkeypatch)
    slug = f"yoga-{uuid4().hex}"  # a slug this process has not seen (the store outlives tests)
    product = CourseFactory(slug=slug)
    assert product.get_absolute_url() == f"/members/products/{slug}/"
    assert product.get_absolute_url() == f"/members/products/{slug}/"
    assert calls == ["members:product"]

    product.slug = f"{slug}-for-beginners"
    product.save()
    assert product.get_absolute_url() == f"/members/products/{slug}-for-beginners/"
