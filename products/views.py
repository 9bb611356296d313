"""Public pages: the catalog, a product's sales page, free-preview lessons and product covers."""

from __future__ import annotations

import mimetypes
from pathlib import Path, PurePosixPath

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from funnel.visits import count_sales_page_view
from members.selectors import owned_product_ids
from products.embeds import embed_url
from products.selectors import catalog_products, free_preview_lesson, sales_page
from products.sellable import test_checkout_is_available
from products.storage import is_remote


def catalog(request: HttpRequest) -> HttpResponse:
    products = list(catalog_products())
    owned = owned_product_ids(member=request.user, products=products, now=timezone.now())
    return render(request, "products/catalog.html", {"products": products, "owned": owned})


def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    page = sales_page(slug=slug)
    if page is None:
        raise Http404
    product = page.product
    now = timezone.now()
    count_sales_page_view(request, product_id=product.pk, now=now)  # the funnel's first step
    owned = owned_product_ids(member=request.user, products=[product], now=now)
    context = {
        "product": product,
        "page": page,
        "is_owned": product.pk in owned,
        "owned": owned,
        # Every active price has a buy button in offline test mode; elsewhere only Stripe's.
        "test_checkout": test_checkout_is_available(),
        # ``?coupon=CODE`` on a product link fills the buy form's coupon field.
        "coupon_code": request.GET.get("coupon", "").strip().upper()[:40],
    }
    return render(request, "products/detail.html", context)


def lesson_preview(request: HttpRequest, slug: str, lesson_pk: int) -> HttpResponse:
    """A free-preview lesson for anyone; every other lesson id is a 404, whoever asks."""
    lesson = free_preview_lesson(slug=slug, lesson_pk=lesson_pk)
    if lesson is None:
        raise Http404
    context = {
        "lesson": lesson,
        "product": lesson.module.product,
        "video_url": embed_url(lesson.video_url),
    }
    return render(request, "products/preview.html", context)


# Other uploads (the seller's invoice logo) stay unlisted; lesson images have random names.
PUBLIC_MEDIA_FOLDERS = {"covers", "lesson-images"}
COVER_CACHE_SECONDS = 60 * 60 * 24 * 30  # a new upload gets a new name


@require_safe
@cache_control(public=True, max_age=COVER_CACHE_SECONDS)
def public_media(request: HttpRequest, path: str) -> FileResponse:
    """Serve covers and lesson images from MEDIA_ROOT (in development and behind a plain proxy),
    or from the bucket's ``public/`` prefix when files are on S3 (its objects are private too).

    Only the folders in PUBLIC_MEDIA_FOLDERS; a path that leaves them is a 404, also through a
    symbolic link (to the seller's invoice logo, the branding folder, or the private files).
    """
    parts = PurePosixPath(path).parts
    if len(parts) < 2 or parts[0] not in PUBLIC_MEDIA_FOLDERS or ".." in parts:
        raise Http404
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if is_remote(default_storage):  # a bucket: its keys have no links to follow
        try:
            return FileResponse(default_storage.open(path, "rb"), content_type=content_type)
        except FileNotFoundError:
            raise Http404 from None
    if not default_storage.exists(path):
        raise Http404
    try:
        folder = Path(default_storage.path(parts[0])).resolve()
        target = Path(default_storage.path(path)).resolve()
    except (ValueError, OSError):
        raise Http404 from None
    if not target.is_relative_to(folder) or not target.is_file():
        raise Http404
    return FileResponse(target.open("rb"), content_type=content_type)
