"""Builders shared by the lead-magnet tests."""

from __future__ import annotations

import re

from leads.services import default_consent_text
from products.models import Product
from tests.factories import DownloadFactory, ProductFactory

CONFIRM_LINK = re.compile(r"https?://[^\s\"'<>]+/free/confirm/[^\s\"'<>]+/")


def free_product(**fields) -> Product:
    """A published download without a price: the demo's "Starter checklist (free)"."""
    fields.setdefault("name", "Starter checklist (free)")
    fields.setdefault("slug", "starter-checklist")
    product = ProductFactory(**fields)
    DownloadFactory(product=product, title="Starter checklist")
    return product


def form_data(**fields) -> dict:
    data = {"email": "ada@example.test", "name": "Ada", "consent": "on", "website": ""}
    data.update(fields)
    return data


def signup_url(product: Product) -> str:
    return f"/free/{product.slug}/"


def link_path(message) -> str:
    """The confirmation link of an e-mail, as a path on the test server."""
    url = CONFIRM_LINK.search(message.body).group(0)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


__all__ = ["default_consent_text"]
