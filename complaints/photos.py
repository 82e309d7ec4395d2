"""Photos of a case: checked by content, size-limited, EXIF (and so GPS) removed, with a thumbnail."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import ApplicationError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2048
THUMB_SIDE = 320
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


@dataclass(frozen=True)
class ProcessedPhoto:
    image: ContentFile
    thumbnail: ContentFile
    width: int
    height: int


def process_photo(upload) -> ProcessedPhoto:
    """Return a cleaned copy of an uploaded photo, or raise ApplicationError naming `photos`.

    The file's name and declared type are ignored: Pillow must recognise the bytes as JPEG, PNG or
    WebP. The image is re-encoded without its metadata, turned upright, and shrunk to 2048 px.
    """
    name = getattr(upload, "name", "") or _("the photo")
    if upload.size > MAX_BYTES:
        raise ApplicationError(
            _("%(name)s is larger than %(mb)d MB.") % {"name": name, "mb": MAX_BYTES // (1024 * 1024)}, field="photos"
        )
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        if fmt not in FORMATS:
            raise UnidentifiedImageError(fmt)
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise ApplicationError(_("%(name)s is too large a picture.") % {"name": name}, field="photos")
        image = ImageOps.exif_transpose(image)
        image.load()
    except ApplicationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ApplicationError(
            _("%(name)s is not a photo (JPEG, PNG or WebP).") % {"name": name}, field="photos"
        ) from None
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    stem = uuid.uuid4().hex
    ext = FORMATS[fmt]
    return ProcessedPhoto(
        image=ContentFile(_encode(image, fmt), name=f"{stem}.{ext}"),
        thumbnail=ContentFile(_encode(_thumb(image), fmt), name=f"{stem}-t.{ext}"),
        width=image.width,
        height=image.height,
    )


def _thumb(image: Image.Image) -> Image.Image:
    copy = image.copy()
    copy.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return copy


def _encode(image: Image.Image, fmt: str) -> bytes:
    """Encode without any metadata: a fresh image carries no EXIF, GPS or comments."""
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    if image.mode == "P" and image.getpalette():
        clean.putpalette(image.getpalette())
    buffer = io.BytesIO()
    options = {"quality": 85} if fmt in ("JPEG", "WEBP") else {}
    clean.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def process_photos(uploads) -> list[ProcessedPhoto]:
    return [process_photo(upload) for upload in uploads]
