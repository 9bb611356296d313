"""PDF rendering with WeasyPrint: A4, the seller's logo, local fonts only, no network.

The template is rendered with Django's autoescaping, so a buyer name with HTML or a script shows
as plain text. The URL fetcher refuses every URL except inline ``data:`` URIs: the logo is
embedded as one, and fonts come from the system (fontconfig: DejaVu Sans, Liberation Sans), so
rendering never reaches out to the network, whatever the stored texts contain.
"""

from __future__ import annotations

import base64
import mimetypes
from functools import cache

from django.template.loader import render_to_string
from django.utils import translation

from invoices.models import Document, SellerSettings

ALLOWED_SCHEMES = frozenset({"data"})


class RemoteURLRefusedError(ValueError):
    """The document tried to load a resource that is not embedded in it."""


@cache
def _fetcher_class() -> type:
    # WeasyPrint is imported on first use: it parses its stylesheets at import, which the web
    # process should only pay for when it renders a PDF.
    from weasyprint.urls import URLFetcher

    class LocalOnlyURLFetcher(URLFetcher):
        """Serve only embedded ``data:`` URIs; refuse http(s), file and every other scheme."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=ALLOWED_SCHEMES, allow_redirects=False)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme not in ALLOWED_SCHEMES:
                self.refused.append(url)
                raise RemoteURLRefusedError(f"refused to fetch {url!r}: only embedded data")
            return super().fetch(url, headers)

    return LocalOnlyURLFetcher


def local_only_fetcher():
    """A fresh fetcher; its ``refused`` list names every URL it turned away."""
    return _fetcher_class()()


def logo_data_uri(seller: SellerSettings | None) -> str:
    """The seller's logo inlined as a data: URI, or "" when there is none (or it is unreadable)."""
    if seller is None or not seller.logo:
        return ""
    content_type = mimetypes.guess_type(seller.logo.name)[0] or "image/png"
    try:
        with seller.logo.open("rb") as handle:
            payload = base64.b64encode(handle.read()).decode("ascii")
    except OSError:
        return ""
    return f"data:{content_type};base64,{payload}"


def render_document_html(*, document: Document, seller: SellerSettings | None) -> str:
    lines = list(document.lines.all())
    context = {"document": document, "lines": lines, "logo": logo_data_uri(seller)}
    return render_to_string("invoices/pdf/document.html", context)


def render_document_pdf(
    *, document: Document, seller: SellerSettings | None, language: str, fetcher=None
) -> bytes:
    """Render the document in ``language``; returns the PDF bytes."""
    with translation.override(language):
        html = render_document_html(document=document, seller=seller)
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=fetcher or local_only_fetcher()).write_pdf()
