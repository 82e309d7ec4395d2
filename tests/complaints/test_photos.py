"""Photos of a case: the type comes from the bytes, not the name; size-limited; no EXIF or GPS; thumbnails."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from complaints import photos, services
from complaints.models import Attachment, DispatchStatus
from complaints.photos import MAX_BYTES, THUMB_SIDE, process_photo, process_photos
from core.errors import ApplicationError

from .builders import dispatch_in
from .conftest import jpeg_upload


def image_upload(name: str, fmt: str, size=(64, 48), mode: str = "RGB", **save) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new(mode, size, 128 if mode in ("L", "1") else (30, 120, 200)).save(buffer, format=fmt, **save)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def opened(content) -> Image.Image:
    content.seek(0)
    image = Image.open(io.BytesIO(content.read()))
    image.load()
    return image


def refused(upload) -> ApplicationError:
    with pytest.raises(ApplicationError) as error:
        process_photo(upload)
    assert error.value.field == "photos" and error.value.code == "invalid"
    return error.value


def test_a_text_file_named_like_a_photo_is_refused():
    error = refused(SimpleUploadedFile("x.jpg", b"this is not a photo at all\n" * 20, content_type="image/jpeg"))
    assert "x.jpg" in error.message


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("half.jpg", jpeg_upload().read()[:300], content_type="image/jpeg"),  # cut off in transfer
        image_upload("moving.jpg", "GIF"),  # a real picture, but not a kind we keep
        SimpleUploadedFile("empty.jpg", b"", content_type="image/jpeg"),
    ],
    ids=["truncated-jpeg", "gif", "empty"],
)
def test_broken_or_unsupported_pictures_are_refused(upload):
    refused(upload)


def test_a_png_named_jpg_is_kept_as_a_png_and_a_jpeg_named_png_as_a_jpeg():
    as_png = process_photo(image_upload("x.jpg", "PNG"))
    assert as_png.image.name.endswith(".png") and as_png.thumbnail.name.endswith(".png")
    assert opened(as_png.image).format == "PNG"
    as_jpeg = process_photo(image_upload("x.png", "JPEG"))
    assert as_jpeg.image.name.endswith(".jpg") and opened(as_jpeg.image).format == "JPEG"
    webp = process_photo(image_upload("x.jpg", "WEBP"))
    assert webp.image.name.endswith(".webp") and opened(webp.image).format == "WEBP"


def test_a_photo_over_the_size_limit_is_refused_before_it_is_read():
    big = SimpleUploadedFile("big.jpg", jpeg_upload().read() + b"\0" * MAX_BYTES, content_type="image/jpeg")
    assert big.size > MAX_BYTES
    error = refused(big)
    assert "big.jpg" in error.message and "10" in error.message
    assert big.tell() == 0  # not read at all


def test_a_picture_with_too_many_pixels_is_refused(monkeypatch):
    monkeypatch.setattr(photos, "MAX_PIXELS", 1000 * 1000)
    refused(image_upload("huge.png", "PNG", size=(1001, 1000), mode="1"))


def test_exif_and_gps_are_stripped_from_photo_and_thumbnail():
    upload = jpeg_upload("phone.jpg", gps=True)
    original = Image.open(io.BytesIO(upload.read()))
    assert original.getexif().get_ifd(0x8825), "the test photo should carry GPS"
    upload.seek(0)
    photo = process_photo(upload)
    for content in (photo.image, photo.thumbnail):
        image = opened(content)
        assert not image.getexif()
        assert "exif" not in image.info


def test_png_metadata_is_stripped_too():
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "28.41N 112.00E")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (28.0, 41.0, 0.0)}
    photo = process_photo(image_upload("screen.png", "PNG", pnginfo=info, exif=exif.tobytes()))
    image = opened(photo.image)
    assert not image.getexif() and "Location" not in image.info and "exif" not in image.info


def test_a_sideways_phone_photo_is_turned_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    photo = process_photo(image_upload("sideways.jpg", "JPEG", size=(80, 40), exif=exif.tobytes()))
    assert (photo.width, photo.height) == (40, 80)
    assert opened(photo.image).size == (40, 80)


def test_thumbnails_fit_in_320_px_and_photos_in_2048_px():
    wide = process_photo(image_upload("wide.jpg", "JPEG", size=(3000, 1500)))
    assert (wide.width, wide.height) == (2048, 1024)
    assert opened(wide.thumbnail).size == (THUMB_SIDE, THUMB_SIDE // 2)
    tall = process_photo(image_upload("tall.png", "PNG", size=(500, 1000)))
    assert opened(tall.thumbnail).size == (THUMB_SIDE // 2, THUMB_SIDE)
    small = process_photo(image_upload("small.jpg", "JPEG", size=(100, 80)))
    assert opened(small.thumbnail).size == (100, 80)  # never enlarged


@pytest.mark.django_db
def test_a_case_takes_at_most_nine_photos(case_world):
    w = case_world
    ten = process_photos([jpeg_upload(f"p{i}.jpg", gps=False, size=(16, 16)) for i in range(10)])
    with pytest.raises(ApplicationError) as error:
        services.complaint_file(
            actor=w["resident"], compound=w["compound"], category="facilities", urgency="general", title="灯坏了",
            description="楼道灯坏了", place_kind="building", building=w["building"], photos=ten,
        )
    assert error.value.field == "photos"
    assert not Attachment.objects.exists()
    case = services.complaint_file(
        actor=w["resident"], compound=w["compound"], category="facilities", urgency="general", title="灯坏了",
        description="楼道灯坏了", place_kind="building", building=w["building"], photos=ten[:9],
    )
    attachments = list(case.attachments.all())
    assert len(attachments) == 9
    assert all(a.uploaded_by == w["resident"] and not a.is_evidence and a.width == 16 for a in attachments)
    assert all(a.event.kind == "filed" for a in attachments)
    with Image.open(attachments[0].thumbnail.path) as thumb:
        assert max(thumb.size) <= THUMB_SIDE


@pytest.mark.django_db
def test_a_comment_or_a_result_takes_at_most_nine_photos_too(case_world):
    """A comment and a handler's evidence carry at most nine photos too, like a report."""
    w = case_world
    dispatch = dispatch_in(w, DispatchStatus.ACKNOWLEDGED)
    case = dispatch.complaint
    ten = process_photos([jpeg_upload(f"c{i}.jpg", gps=False, size=(16, 16)) for i in range(10)])
    with pytest.raises(ApplicationError) as error:
        services.complaint_comment(complaint=case, actor=w["resident"], text="更多照片", photos=ten)
    assert error.value.field == "photos"
    with pytest.raises(ApplicationError) as error:
        services.dispatch_resolve(dispatch=dispatch, actor=w["department_staff"], result="已修好", photos=ten)
    assert error.value.field == "photos"
    assert not case.attachments.exists()
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.ACKNOWLEDGED  # the refused result changed nothing
    services.dispatch_resolve(dispatch=dispatch, actor=w["department_staff"], result="已修好", photos=ten[:9])
    assert case.attachments.filter(is_evidence=True).count() == 9
