"""The brand logo, served by the app: it works wherever MEDIA_ROOT is not public."""

from __future__ import annotations

import mimetypes

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from branding.models import Branding


@require_GET
def logo(request: HttpRequest, version: int) -> FileResponse:
    """The current logo; its URL carries a version, so browsers may keep it for a year."""
    row = Branding.objects.filter(slot=1).first()
    if row is None or not row.logo:
        raise Http404
    try:
        handle = row.logo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = mimetypes.guess_type(row.logo.name)[0] or "application/octet-stream"
    if not content_type.startswith("image/") or content_type == "image/svg+xml":
        raise Http404  # only raster images (Pillow checked them on upload)
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
