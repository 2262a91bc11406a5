"""prepare_upload: the type from the bytes, the size limits, photos re-encoded without any
metadata (orientation kept), MP4 metadata blanked in place; nothing is written."""

from __future__ import annotations

import io
import struct

import pytest
from django.core.exceptions import ValidationError
from PIL import ExifTags, Image

from grove.practices import attachments
from grove.practices.attachments import prepare_upload, read_boxes

from .test_attachments_samples import (
    BLUE,
    DEVICE_MODEL,
    GPS_TEXT,
    RED,
    box,
    children_types,
    ftyp,
    jpeg,
    jpeg_with_gps,
    mp4_with_location,
    png_with_text,
    top_level_types,
    two_colour_image,
    upload,
    webp_with_metadata,
)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def refusal(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    with pytest.raises(ValidationError) as caught:
        prepare_upload(upload(data, name, content_type))
    return caught.value


def _read(prepared) -> bytes:
    prepared.file.seek(0)
    data = prepared.file.read()
    prepared.close()
    return data


def _close(a, b, tolerance=40) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=False))


# --- Photos ----------------------------------------------------------------------------------


def test_a_jpeg_comes_out_without_exif_gps_xmp_or_comment_and_turned_upright():
    prepared = prepare_upload(upload(jpeg_with_gps(size=(64, 32), orientation=6)))
    data = _read(prepared)
    image = Image.open(io.BytesIO(data))

    assert prepared.kind == "image"
    assert prepared.content_type == "image/jpeg"
    assert prepared.extension == "jpg"
    assert image.format == "JPEG"
    assert not image.getexif()
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)
    for secret in (b"Exif", DEVICE_MODEL.encode(), b"GPSLatitude", b"Alice", b"PhoneMaker"):
        assert secret not in data
    # Orientation 6 (turn 90° clockwise): 64x32 becomes 32x64, the red left half on top.
    assert (prepared.width, prepared.height) == (32, 64) == image.size
    rgb = image.convert("RGB")
    assert _close(rgb.getpixel((16, 8)), RED)
    assert _close(rgb.getpixel((16, 56)), BLUE)
    assert prepared.size == len(data)


def test_the_jpeg_is_progressive():
    data = _read(prepare_upload(upload(jpeg())))

    assert Image.open(io.BytesIO(data)).info.get("progressive") == 1


def test_a_png_loses_its_text_chunks_and_exif():
    prepared = prepare_upload(upload(png_with_text(), "shop.png", "image/png"))
    data = _read(prepared)
    image = Image.open(io.BytesIO(data))

    assert (prepared.content_type, prepared.extension, image.format) == ("image/png", "png", "PNG")
    assert not getattr(image, "text", {})
    assert not image.getexif()
    for secret in (b"Alice Anders", b"GPS", b"tEXt", b"zTXt", b"iTXt", b"eXIf"):
        assert secret not in data
    assert (prepared.width, prepared.height) == (40, 30)


def test_a_png_keeps_its_transparency():
    prepared = prepare_upload(upload(png_with_text(mode="RGBA"), "logo.png", "image/png"))

    assert Image.open(io.BytesIO(_read(prepared))).mode == "RGBA"


def test_a_webp_loses_its_exif_and_xmp():
    prepared = prepare_upload(upload(webp_with_metadata(), "a.webp", "image/webp"))
    data = _read(prepared)
    image = Image.open(io.BytesIO(data))

    assert (prepared.content_type, image.format) == ("image/webp", "WEBP")
    assert not image.getexif()
    assert b"EXIF" not in data
    assert b"XMP" not in data
    assert b"GPSLatitude" not in data


def test_a_large_photo_is_scaled_to_2560_and_gets_a_480_thumbnail():
    output = io.BytesIO()
    two_colour_image((3000, 1500)).save(output, "JPEG")

    prepared = prepare_upload(upload(output.getvalue()))
    thumbnail = Image.open(io.BytesIO(prepared.thumbnail))

    assert (prepared.width, prepared.height) == (2560, 1280)
    assert thumbnail.format == "WEBP"
    assert prepared.thumbnail_extension == "webp"
    assert thumbnail.size == (480, 240)
    assert not thumbnail.getexif()


def test_a_small_photo_is_not_enlarged():
    prepared = prepare_upload(upload(jpeg(size=(64, 32))))

    assert (prepared.width, prepared.height) == (64, 32)
    assert Image.open(io.BytesIO(prepared.thumbnail)).size == (64, 32)


def test_the_name_and_declared_type_are_ignored():
    prepared = prepare_upload(upload(png_with_text(), "holiday.jpg", "image/jpeg"))

    assert prepared.content_type == "image/png"
    assert prepared.extension == "png"
    assert "holiday" not in prepared.file.name


# --- Refused files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200),  # Windows executable
        b"\x7fELF\x02\x01\x01\x00" + bytes(200),  # Linux executable
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script/></svg>',
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"PK\x03\x04" + bytes(100),
    ],
    ids=["exe", "elf", "pdf", "html", "svg", "svg-xml", "gif", "zip"],
)
def test_a_file_that_is_not_a_photo_or_mp4_is_refused_whatever_its_name(data):
    error = refusal(data, "photo.jpg", "image/jpeg")

    assert error.code == "unsupported_type"
    assert "not a photo (JPEG, PNG or WebP) or an MP4 video" in error.messages[0]


def test_an_empty_file_is_refused():
    assert refusal(b"").code == "empty"


def test_a_truncated_jpeg_is_refused():
    data = jpeg(size=(400, 300))

    error = refusal(data[: len(data) // 2])

    assert error.code == "damaged"
    assert error.messages == ["This photo is damaged or incomplete."]


def test_a_jpeg_header_with_garbage_is_refused():
    assert refusal(b"\xff\xd8\xff\xe0" + bytes(50) + b"garbage" * 20).code == "damaged"


def test_a_photo_over_40_megapixels_is_refused():
    output = io.BytesIO()
    Image.new("1", (8000, 6000)).save(output, "PNG")  # 48 MP in a few kilobytes

    error = refusal(output.getvalue(), "bomb.png", "image/png")

    assert error.code == "too_many_pixels"
    assert error.messages == ["This photo has more than 40 million pixels."]


def test_a_far_larger_bomb_is_refused_too():
    output = io.BytesIO()
    Image.new("1", (12000, 8000)).save(output, "PNG")  # 96 MP: Pillow's own error

    assert refusal(output.getvalue(), "bomb.png", "image/png").code == "too_many_pixels"


def test_an_oversize_photo_is_refused_with_its_limit(settings):
    settings.GROVE_MAX_IMAGE_BYTES = 2 * 1024 * 1024
    output = io.BytesIO()
    Image.effect_noise((1500, 1500), 100).convert("RGB").save(output, "PNG")
    assert len(output.getvalue()) > 2 * 1024 * 1024

    error = refusal(output.getvalue(), "big.png", "image/png")

    assert error.code == "too_large"
    assert error.messages == ["This photo is larger than 2 MB."]


def test_the_size_is_checked_while_reading_whatever_the_declared_size(settings):
    settings.GROVE_MAX_IMAGE_BYTES = 1024
    data = png_with_text(size=(300, 300))
    lying = upload(data, "a.png", "image/png")
    lying.size = 10
    assert len(data) > 1024

    with pytest.raises(ValidationError) as caught:
        prepare_upload(lying)

    assert caught.value.code == "too_large"


def test_an_oversize_video_is_refused_with_its_limit(settings):
    settings.GROVE_MAX_VIDEO_BYTES = 5 * 1024 * 1024
    data = mp4_with_location(media=bytes(5 * 1024 * 1024))

    error = refusal(data, "clip.mp4", "video/mp4")

    assert error.code == "too_large"
    assert error.messages == ["This video is larger than 5 MB."]


def test_a_video_within_the_photo_limit_but_over_its_own_is_refused(settings):
    settings.GROVE_MAX_VIDEO_BYTES = 1024
    settings.GROVE_MAX_IMAGE_BYTES = 10 * 1024 * 1024

    assert refusal(mp4_with_location(), "clip.mp4", "video/mp4").code == "too_large"


def test_nothing_is_written_when_a_file_is_refused(settings, tmp_path):
    settings.GROVE_MAX_IMAGE_BYTES = 100
    refusal(jpeg(size=(200, 200)))
    refusal(b"MZ" + bytes(300))

    assert not (tmp_path / "media").exists()


# --- Videos ----------------------------------------------------------------------------------


def test_an_mp4_loses_its_location_and_metadata_without_moving_a_byte_of_media():
    data = mp4_with_location(media=b"MEDIA-PAYLOAD" * 100)

    prepared = prepare_upload(upload(data, "clip.mp4", "video/mp4"))
    out = _read(prepared)

    assert (prepared.kind, prepared.content_type, prepared.extension) == (
        "video",
        "video/mp4",
        "mp4",
    )
    assert GPS_TEXT not in out
    assert DEVICE_MODEL.encode() not in out
    assert b"Alice" not in out
    assert b"GPSLatitude" not in out
    assert len(out) == len(data) == prepared.size
    assert top_level_types(out) == [b"ftyp", b"moov", b"free", b"mdat"]
    assert children_types(out, b"moov") == [b"mvhd", b"trak", b"free", b"free"]
    assert children_types(out, b"moov", b"trak") == [b"tkhd", b"mdia", b"free"]
    # Every offset kept: the media data sits where it was, untouched.
    assert out.index(b"MEDIA-PAYLOAD") == data.index(b"MEDIA-PAYLOAD")
    assert out[-1300:] == data[-1300:]
    assert (prepared.width, prepared.height) == (1920, 1080)
    assert prepared.thumbnail is None


def test_a_portrait_video_reports_its_turned_dimensions():
    prepared = prepare_upload(upload(mp4_with_location(rotated=True), "clip.mp4", "video/mp4"))
    prepared.close()

    assert (prepared.width, prepared.height) == (1080, 1920)


@pytest.mark.parametrize("brand", [b"mp42", b"iso2", b"avc1"])
def test_mp4_brands_are_accepted(brand):
    data = mp4_with_location(major=brand)

    prepared = prepare_upload(upload(data, "v.mp4", "video/mp4"))
    prepared.close()

    assert prepared.kind == "video"


def test_a_quicktime_movie_is_refused():
    data = mp4_with_location(major=b"qt  ")
    data = ftyp(b"qt  ", (b"qt  ",)) + data[len(ftyp()) :]

    assert refusal(data, "clip.mp4", "video/mp4").code == "unsupported_type"


def _with_moov_child(child: bytes) -> bytes:
    moov = box(b"moov", box(b"mvhd", bytes(100)) + child)
    return ftyp() + moov + box(b"mdat", bytes(64))


@pytest.mark.parametrize(
    "data",
    [
        _with_moov_child(struct.pack(">I4s", 4, b"udta")),  # size smaller than its header
        _with_moov_child(struct.pack(">I4s", 0, b"udta")),  # "to the end" inside moov
        _with_moov_child(struct.pack(">I4s", 5000, b"udta")),  # past its parent
        _with_moov_child(struct.pack(">I4sQ", 1, b"udta", 8)),  # 64-bit size under 16
        _with_moov_child(b"\x00\x00\x00"),  # a torn header
        ftyp() + box(b"mdat", bytes(64)),  # no moov
        ftyp() + box(b"moov", b"") + box(b"moov", b"") + box(b"mdat", b""),  # two moov
        ftyp() + box(b"moov", b"") + struct.pack(">I4s", 9999, b"mdat") + bytes(10),  # past end
        ftyp() + box(b"moov", b"") + b"\x00\x00",  # trailing bytes
    ],
    ids=[
        "tiny",
        "zero",
        "past-parent",
        "large-tiny",
        "torn",
        "no-moov",
        "two-moov",
        "past-end",
        "tail",
    ],
)
def test_malformed_boxes_are_refused(data):
    error = refusal(data, "clip.mp4", "video/mp4")

    assert error.code == "damaged"
    assert error.messages == ["This video is damaged or is not a standard MP4 file."]


def test_too_many_boxes_are_refused_rather_than_walked(monkeypatch):
    monkeypatch.setattr(attachments, "MAX_BOXES", 50)
    data = ftyp() + box(b"moov", box(b"free") * 60) + box(b"mdat", b"")

    assert refusal(data, "clip.mp4", "video/mp4").code == "damaged"


def test_a_top_level_box_may_run_to_the_end_of_the_file():
    data = ftyp() + box(b"moov", box(b"mvhd", bytes(100))) + struct.pack(">I4s", 0, b"mdat")
    data += bytes(100)

    prepared = prepare_upload(upload(data, "v.mp4", "video/mp4"))

    assert _read(prepared) == data


def test_the_walk_reads_64_bit_sizes():
    mdat = struct.pack(">I4sQ", 1, b"mdat", 16 + 40) + bytes(40)
    data = ftyp() + box(b"moov", box(b"udta", GPS_TEXT)) + mdat
    f = io.BytesIO(data)

    assert [b.type for b in read_boxes(f, 0, len(data), top_level=True)] == [
        b"ftyp",
        b"moov",
        b"mdat",
    ]
    out = _read(prepare_upload(upload(data, "v.mp4", "video/mp4")))
    assert GPS_TEXT not in out
    assert len(out) == len(data)


def test_the_exif_of_the_sample_is_gone_not_just_hidden():
    prepared = prepare_upload(upload(jpeg_with_gps()))
    image = Image.open(io.BytesIO(_read(prepared)))

    assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
