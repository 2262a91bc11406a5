"""Sample uploads for the attachment tests (photos with metadata, crafted MP4s, hostile files),
and checks that the samples are what they claim to be.

Other tests import the builders: ``from grove.practices.tests.test_attachments_samples import
jpeg_with_gps, mp4_with_location``.
"""

from __future__ import annotations

import io
import struct
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo

GPS_TEXT = b"+48.8584+002.2945/"  # the Eiffel Tower, as a phone writes ©xyz
DEVICE_MODEL = "PhoneModel 12 Pro"
XMP_UUID = uuid.UUID("be7acfcb-97a9-42e8-9c71-999491e3afac").bytes
RED = (220, 20, 20)
BLUE = (20, 20, 220)


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    """An uploaded file as a form receives it (name and content type are the sender's word)."""
    return SimpleUploadedFile(name, data, content_type=content_type)


def _exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = DEVICE_MODEL
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 29.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 17.0, 40.0)
    return exif


def two_colour_image(size=(64, 32), mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue: where the red lands tells the orientation applied."""
    width, height = size
    image = Image.new("RGB", size, BLUE)
    image.paste(Image.new("RGB", (width // 2, height), RED), (0, 0))
    return image.convert(mode)


def jpeg_with_gps(size=(64, 32), orientation: int = 6) -> bytes:
    """A JPEG as a phone writes it: EXIF with GPS, device, orientation; XMP; a comment; ICC."""
    output = io.BytesIO()
    two_colour_image(size).save(
        output,
        "JPEG",
        exif=_exif_with_gps(orientation),
        comment=b"taken by Alice Anders",
        xmp=b"<x:xmpmeta><exif:GPSLatitude>48,51.5N</exif:GPSLatitude></x:xmpmeta>",
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )
    return output.getvalue()


def png_with_text(size=(40, 30), mode: str = "RGB") -> bytes:
    info = PngInfo()
    info.add_text("Author", "Alice Anders")
    info.add_text("Comment", "GPS 48.8584 2.2945", zip=True)
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>GPSLatitude</x:xmpmeta>")
    output = io.BytesIO()
    two_colour_image(size, mode).save(
        output, "PNG", pnginfo=info, exif=_exif_with_gps(orientation=1)
    )
    return output.getvalue()


def webp_with_metadata(size=(50, 40)) -> bytes:
    output = io.BytesIO()
    two_colour_image(size).save(
        output,
        "WEBP",
        exif=_exif_with_gps(orientation=1),
        xmp=b"<x:xmpmeta>GPSLatitude</x:xmpmeta>",
    )
    return output.getvalue()


def jpeg(size=(64, 32)) -> bytes:
    output = io.BytesIO()
    two_colour_image(size).save(output, "JPEG")
    return output.getvalue()


# --- ISO BMFF -----------------------------------------------------------------------------------


def box(box_type: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I4s", 8 + len(payload), box_type) + payload


def ftyp(major: bytes = b"isom", compatible=(b"isom", b"iso2", b"avc1", b"mp41")) -> bytes:
    return box(b"ftyp", major + struct.pack(">I", 0x200) + b"".join(compatible))


def tkhd(width: int = 1920, height: int = 1080, *, rotated: bool = False) -> bytes:
    """A version-0 track header: times, id, duration, layer..., matrix, width, height."""
    one, zero, w = 0x10000, 0, 0x40000000
    if rotated:  # 90°: a = 0, b = 1, c = -1, d = 0
        matrix = (zero, one, zero, -one, zero, zero, zero, zero, w)
    else:
        matrix = (one, zero, zero, zero, one, zero, zero, zero, w)
    payload = (
        struct.pack(">I", 0x3)  # version 0, flags enabled | in movie
        + struct.pack(">IIIII", 0, 0, 1, 0, 1000)
        + bytes(8)
        + struct.pack(">hhhh", 0, 0, 0, 0)
        + struct.pack(">9i", *matrix)
        + struct.pack(">II", width << 16, height << 16)
    )
    return box(b"tkhd", payload)


def location_udta() -> bytes:
    # ©xyz: a 16-bit length, a 16-bit language, then the ISO 6709 string.
    xyz = box(b"\xa9xyz", struct.pack(">HH", len(GPS_TEXT), 0x15C7) + GPS_TEXT)
    model = box(b"\xa9mod", struct.pack(">HH", len(DEVICE_MODEL), 0x15C7) + DEVICE_MODEL.encode())
    return box(b"udta", xyz + model)


def mp4_with_location(
    *, major: bytes = b"isom", rotated: bool = False, media: bytes = b"\x00\x01\x02\x03" * 256
) -> bytes:
    """A small MP4: ftyp, moov (mvhd, a video track with its own udta, the movie's udta with
    the ©xyz location and a meta box), a top-level XMP uuid box, and mdat."""
    mvhd = box(b"mvhd", bytes(100))
    track_udta = box(b"udta", box(b"name", b"Alice's phone"))
    trak = box(b"trak", tkhd(rotated=rotated) + box(b"mdia", box(b"mdhd", bytes(24))) + track_udta)
    meta = box(b"meta", bytes(4) + box(b"hdlr", bytes(24)) + box(b"keys", GPS_TEXT))
    moov = box(b"moov", mvhd + trak + location_udta() + meta)
    xmp = box(b"uuid", XMP_UUID + b"<x:xmpmeta>GPSLatitude 48.8584</x:xmpmeta>")
    return ftyp(major) + moov + xmp + box(b"mdat", media)


def top_level_types(data: bytes) -> list[bytes]:
    """Box types at the top level, parsed independently of the code under test."""
    types, position = [], 0
    while position < len(data):
        size, box_type = struct.unpack(">I4s", data[position : position + 8])
        assert size >= 8
        types.append(box_type)
        position += size
    assert position == len(data)
    return types


def children_types(data: bytes, *path: bytes) -> list[bytes]:
    """Box types inside the box at ``path`` (e.g. b"moov", b"trak")."""
    for parent in path:
        position = 0
        while position < len(data):
            size, box_type = struct.unpack(">I4s", data[position : position + 8])
            if box_type == parent:
                data = data[position + 8 : position + size]
                break
            position += size
        else:
            raise AssertionError(f"no {parent!r} box")
    return top_level_types(data)


# --- The samples are what they claim ------------------------------------------------------------


def test_the_sample_jpeg_carries_gps_device_and_orientation():
    image = Image.open(io.BytesIO(jpeg_with_gps()))
    exif = image.getexif()

    assert exif[ExifTags.Base.Orientation] == 6
    assert exif[ExifTags.Base.Model] == DEVICE_MODEL
    assert exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
    assert {"xmp", "comment", "icc_profile"} <= set(image.info)


def test_the_sample_png_and_webp_carry_metadata():
    assert b"Alice Anders" in png_with_text()
    assert b"GPSLatitude" in png_with_text()
    webp = Image.open(io.BytesIO(webp_with_metadata()))
    assert webp.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"GPSLatitude" in webp_with_metadata()


def test_the_sample_mp4_parses_and_holds_a_location():
    data = mp4_with_location()

    assert top_level_types(data) == [b"ftyp", b"moov", b"uuid", b"mdat"]
    assert children_types(data, b"moov") == [b"mvhd", b"trak", b"udta", b"meta"]
    assert GPS_TEXT in data
