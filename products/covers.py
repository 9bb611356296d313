"""Product cover images: resized once when the creator uploads them, then served as public media.

A phone camera's 4000 × 3000 JPEG would otherwise be sent to every catalog visitor, with its
EXIF block (and perhaps the place it was taken). The upload is re-encoded before anything is
stored, so the original never reaches the public media folder.
"""

from __future__ import annotations

import secrets
from io import BytesIO
from pathlib import PurePath

from django.core.files.base import ContentFile, File
from PIL import Image, ImageOps

from products.models import LessonImage, Product

COVER_MAX_SIZE = (1600, 1600)  # sharp on a 2x screen at the page's widest (800 css px)
COVER_QUALITY = 82


def resized_cover(upload: File) -> ContentFile:
    """A WebP copy of ``upload`` at most COVER_MAX_SIZE, upright, with no metadata."""
    upload.seek(0)
    with Image.open(upload) as image:
        image.draft("RGB", COVER_MAX_SIZE)  # JPEG: decode at a smaller scale, far less memory
        image = ImageOps.exif_transpose(image)
        image.thumbnail(COVER_MAX_SIZE, Image.Resampling.LANCZOS)
        has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
        out = BytesIO()
        image.save(out, "WEBP", quality=COVER_QUALITY)
    stem = PurePath(upload.name or "cover").stem[:80] or "cover"
    return ContentFile(out.getvalue(), name=f"{stem}.webp")


def store_cover(*, product: Product, upload: File) -> Product:
    """Resize ``upload`` and store it as the product's cover; the caller saves the product.

    Called by the admin only when a new file was uploaded, so a cover is resized once, not on
    every save of the product.
    """
    cover = resized_cover(upload)
    product.cover.save(cover.name, cover, save=False)  # also sets cover_width / cover_height
    return product


def store_lesson_image(*, image: LessonImage, upload: File) -> LessonImage:
    """Resize ``upload`` like a cover and store it under an unguessable name.

    Lesson images are served from the public media folder so they load with the lesson page;
    the random name keeps them from being found by guessing. The caller saves ``image``.
    """
    resized = resized_cover(upload)
    image.image.save(f"{secrets.token_urlsafe(16)}.webp", resized, save=False)
    return image
