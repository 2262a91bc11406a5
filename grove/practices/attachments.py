"""Attachments of best practices: photos (JPEG, PNG, WebP) and short MP4 videos.

- ``prepare_upload`` checks and processes one uploaded file without writing anything (no row, no
  stored file): the type comes from the bytes, never from the name or the declared content type;
  sizes are checked before and while reading; photos are re-encoded without any metadata (EXIF,
  GPS, XMP, ICC text) with their orientation applied, and get a thumbnail; videos are not
  re-encoded, but their metadata boxes are blanked in place (same size, same offsets).
- The actions (``attachment_add``, ``attachment_remove``, ``attachment_downloaded``) write the
  row, the files through Django's storage API, and their access-log event (ids only).
- ``attachment_for_member`` is the scoped read: 404 for anything the member may not see.

A form saving a practice with its attachments prepares every file first (all refusals before
any write), then creates the practice and adds each prepared file, in one transaction. Files are
stored when ``attachment_add`` runs, before that transaction commits; a transaction that then
rolls back would leave them orphaned in storage, so the form runs its writes inside
``atomic_removing_files_on_error()``, which removes the files saved in a block that failed.
"""

from __future__ import annotations

import io
import struct
import tempfile
import uuid
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import IO, cast

import filetype
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Max
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps, features

from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.staff.authorization import Capability, permits
from grove.tenancy.context import tenant_context

from . import queries
from .models import Attachment, AttachmentKind, Practice

MAX_ATTACHMENTS_PER_PRACTICE = 6
MAX_IMAGE_PIXELS = 40_000_000  # 40 megapixels: beyond, a decompression bomb or no phone photo
MAX_IMAGE_SIDE = 2560  # long side of the stored photo
THUMBNAIL_SIDE = 480  # long side of its thumbnail
JPEG_QUALITY = 85
WEBP_QUALITY = 85
THUMBNAIL_QUALITY = 80

# Pillow refuses (DecompressionBombError) images over twice this, and warns over it: the warning
# is turned into a refusal below.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

# Content type found by `filetype` -> Pillow's format name, stored content type, extension.
IMAGE_FORMATS = {
    "image/jpeg": ("JPEG", "image/jpeg", "jpg"),
    "image/png": ("PNG", "image/png", "png"),
    "image/webp": ("WEBP", "image/webp", "webp"),
}
VIDEO_TYPES = frozenset({"video/mp4", "video/x-m4v"})
# Major brands of the ISO BMFF `ftyp` box accepted as MP4 (QuickTime's "qt  " is not one).
MP4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V "}
)
SNIFF_BYTES = 4096  # enough for `filetype` (262 bytes) and an `ftyp` box

UNSUPPORTED = _("This file is not a photo (JPEG, PNG or WebP) or an MP4 video.")
EMPTY = _("This file is empty.")
IMAGE_TOO_LARGE = _("This photo is larger than %(limit)s MB.")
VIDEO_TOO_LARGE = _("This video is larger than %(limit)s MB.")
TOO_MANY_PIXELS = _("This photo has more than %(limit)s million pixels.")
DAMAGED_IMAGE = _("This photo is damaged or incomplete.")
DAMAGED_VIDEO = _("This video is damaged or is not a standard MP4 file.")
NOT_ALLOWED = _("Only its author or a manager may change this practice.")
TOO_MANY_ATTACHMENTS = _("A practice has at most %(limit)s photos and videos.")


@dataclass
class PreparedMedia:
    """A checked, processed upload, ready for ``attachment_add`` (used once)."""

    kind: str  # AttachmentKind
    content_type: str
    extension: str
    file: File  # the bytes to store, metadata removed
    size: int
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None  # photos only
    thumbnail_extension: str = ""

    def close(self) -> None:
        """Release the temporary file of a video (``attachment_add`` does, once stored)."""
        self.file.close()


# --- Checking and processing an upload -----------------------------------------------------


def prepare_upload(upload: File) -> PreparedMedia:
    """Check and process one uploaded file; raise ``ValidationError`` (with a code) if refused.

    Writes nothing: neither the database nor the storage.
    """
    header = _read_header(upload)
    if not header:
        raise ValidationError(EMPTY, code="empty")
    mime = _sniff(header)
    if mime in IMAGE_FORMATS:
        limit, too_large = settings.GROVE_MAX_IMAGE_BYTES, IMAGE_TOO_LARGE
    else:
        limit, too_large = settings.GROVE_MAX_VIDEO_BYTES, VIDEO_TOO_LARGE
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        raise _too_large(too_large, limit)
    if mime in IMAGE_FORMATS:
        buffer = io.BytesIO()
        _copy_bounded(upload, buffer, limit, too_large)
        return _prepare_image(buffer.getvalue(), mime)
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 -- returned
    try:
        size = _copy_bounded(upload, spool, limit, too_large)
        width, height = strip_mp4_metadata(spool, size)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    stored = File(spool, name="video.mp4")
    stored.size = size
    return PreparedMedia(
        kind=AttachmentKind.VIDEO,
        content_type="video/mp4",
        extension="mp4",
        file=stored,
        size=size,
        width=width,
        height=height,
    )


def _read_header(upload: File) -> bytes:
    upload.seek(0)
    header = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return header or b""


def _sniff(header: bytes) -> str:
    """The content type the bytes say, among the accepted ones; refuse anything else."""
    guess = filetype.guess(header)
    mime = guess.mime if guess is not None else ""
    if mime in IMAGE_FORMATS:
        return mime
    if mime in VIDEO_TYPES and _mp4_major_brand(header) in MP4_BRANDS:
        return "video/mp4"
    raise ValidationError(UNSUPPORTED, code="unsupported_type")


def _mp4_major_brand(header: bytes) -> bytes:
    # The file must open with its `ftyp` box: size (4 bytes), "ftyp", the major brand.
    if len(header) < 12 or header[4:8] != b"ftyp":
        return b""
    return header[8:12]


def _too_large(message, limit: int) -> ValidationError:
    return ValidationError(message, code="too_large", params={"limit": f"{limit / 1048576:g}"})


def _copy_bounded(upload: File, target: IO[bytes], limit: int, too_large) -> int:
    """Copy the upload into ``target``, refusing it as soon as it passes ``limit`` bytes (the
    declared size is not trusted)."""
    total = 0
    upload.seek(0)
    for chunk in upload.chunks():
        total += len(chunk)
        if total > limit:
            raise _too_large(too_large, limit)
        target.write(chunk)
    return total


def _prepare_image(data: bytes, mime: str) -> PreparedMedia:
    pil_format, content_type, extension = IMAGE_FORMATS[mime]
    image = _open_image(data, pil_format)
    icc_profile = image.info.get("icc_profile")
    # Apply the EXIF orientation to the pixels before every metadata is dropped.
    image = ImageOps.exif_transpose(image)
    image = _to_srgb(image, icc_profile, "RGB" if pil_format == "JPEG" else _mode_for(image))
    image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE), Image.Resampling.LANCZOS)
    # A new image from the pixels alone: no EXIF, GPS, XMP, ICC profile, text chunk or comment
    # can follow, whatever the encoder would otherwise copy from ``info``.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    stored = io.BytesIO()
    if pil_format == "JPEG":
        clean.save(stored, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
    elif pil_format == "PNG":
        clean.save(stored, "PNG", optimize=True)
    else:
        clean.save(stored, "WEBP", quality=WEBP_QUALITY)
    thumbnail, thumbnail_extension = _thumbnail(clean)
    content = stored.getvalue()
    return PreparedMedia(
        kind=AttachmentKind.IMAGE,
        content_type=content_type,
        extension=extension,
        file=ContentFile(content, name=f"photo.{extension}"),
        size=len(content),
        width=clean.width,
        height=clean.height,
        thumbnail=thumbnail,
        thumbnail_extension=thumbnail_extension,
    )


def _open_image(data: bytes, pil_format: str) -> Image.Image:
    """Decode the whole image with Pillow's own detection, refusing bombs and damaged files."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[pil_format])
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise Image.DecompressionBombError
            image.load()  # a truncated file fails here (LOAD_TRUNCATED_IMAGES stays off)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ValidationError(
                TOO_MANY_PIXELS, code="too_many_pixels", params={"limit": MAX_IMAGE_PIXELS // 10**6}
            ) from error
        except Exception as error:  # any decoder error on hostile bytes is a refusal
            raise ValidationError(DAMAGED_IMAGE, code="damaged") from error
    return image


def _mode_for(image: Image.Image) -> str:
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    return "RGBA" if has_alpha else "RGB"


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image, icc_profile: bytes | None, mode: str) -> Image.Image:
    """Convert to ``mode`` (RGB or RGBA); through the embedded colour profile when there is one,
    so that colours survive dropping it."""
    if icc_profile and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None  # an unusable profile: keep the pixels as they are
        if converted is not None:
            image = converted
    return image if image.mode == mode else image.convert(mode)


def _thumbnail(image: Image.Image) -> tuple[bytes, str]:
    thumbnail = image.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    output = io.BytesIO()
    if features.check("webp"):
        thumbnail.save(output, "WEBP", quality=THUMBNAIL_QUALITY)
        return output.getvalue(), "webp"
    thumbnail.convert("RGB").save(output, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return output.getvalue(), "jpg"


# --- MP4 (ISO BMFF) metadata, blanked in place ----------------------------------------------

# Boxes holding user data and metadata (titles, device, ©xyz location, XMP): each becomes a
# `free` box of the same size with its payload zeroed, so no offset in the file moves.
METADATA_BOXES = frozenset({b"udta", b"meta"})
XMP_UUID = uuid.UUID("be7acfcb-97a9-42e8-9c71-999491e3afac").bytes
MAX_BOXES = 100_000  # more is no short phone video: refused rather than walked for long


@dataclass(frozen=True)
class Box:
    type: bytes
    start: int
    header_size: int
    end: int

    @property
    def payload_start(self) -> int:
        return self.start + self.header_size


class _Budget:
    def __init__(self, boxes: int) -> None:
        self.left = boxes

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise _malformed()


def _malformed() -> ValidationError:
    return ValidationError(DAMAGED_VIDEO, code="damaged")


def read_boxes(f: IO[bytes], start: int, end: int, *, top_level: bool, budget=None) -> list[Box]:
    """The boxes between ``start`` and ``end``, which they must cover exactly."""
    budget = budget or _Budget(MAX_BOXES)
    boxes = []
    position = start
    while position < end:
        budget.spend()
        if end - position < 8:
            raise _malformed()
        f.seek(position)
        header = f.read(8)
        if len(header) < 8:
            raise _malformed()
        size, box_type = struct.unpack(">I4s", header)
        header_size = 8
        if size == 1:  # a 64-bit size follows the type
            large = f.read(8)
            if len(large) < 8:
                raise _malformed()
            (size,) = struct.unpack(">Q", large)
            header_size = 16
        elif size == 0:  # to the end of the file: only the last top-level box
            if not top_level:
                raise _malformed()
            size = end - position
        if size < header_size or position + size > end:
            raise _malformed()
        boxes.append(Box(box_type, position, header_size, position + size))
        position += size
    return boxes


def strip_mp4_metadata(f: IO[bytes], size: int) -> tuple[int | None, int | None]:
    """Blank the metadata boxes of the MP4 in ``f`` (read-write, ``size`` bytes) in place:
    top level ``meta`` and XMP ``uuid``, ``moov``'s ``udta``/``meta``/XMP, and each track's.
    Return the video's display width and height (from the first video track), if any.
    Malformed boxes raise ``ValidationError``; the walk always moves forward."""
    budget = _Budget(MAX_BOXES)
    top = read_boxes(f, 0, size, top_level=True, budget=budget)
    if not top or top[0].type != b"ftyp":
        raise _malformed()
    movies = [box for box in top if box.type == b"moov"]
    if len(movies) != 1:
        raise _malformed()
    blanked = [box for box in top if _is_metadata(f, box)]
    width = height = None
    for box in read_boxes(
        f, movies[0].payload_start, movies[0].end, top_level=False, budget=budget
    ):
        if _is_metadata(f, box):
            blanked.append(box)
        elif box.type == b"trak":
            for child in read_boxes(f, box.payload_start, box.end, top_level=False, budget=budget):
                if _is_metadata(f, child):
                    blanked.append(child)
                elif child.type == b"tkhd" and width is None:
                    width, height = _track_dimensions(f, child)
    for box in blanked:
        _blank(f, box)
    f.seek(0)
    return width, height


def _is_metadata(f: IO[bytes], box: Box) -> bool:
    if box.type in METADATA_BOXES:
        return True
    if box.type == b"uuid":
        f.seek(box.payload_start)
        return f.read(16) == XMP_UUID
    return False


def _blank(f: IO[bytes], box: Box) -> None:
    f.seek(box.start + 4)
    f.write(b"free")
    f.seek(box.payload_start)
    remaining = box.end - box.payload_start
    zeros = bytes(64 * 1024)
    while remaining > 0:
        step = min(remaining, len(zeros))
        f.write(zeros[:step])
        remaining -= step


def _track_dimensions(f: IO[bytes], box: Box) -> tuple[int | None, int | None]:
    """Width and height from a `tkhd` box (16.16 fixed point), turned by its matrix's quarter
    turns (a phone's portrait video is stored landscape with a 90° matrix)."""
    f.seek(box.payload_start)
    payload = f.read(min(box.end - box.payload_start, 96))
    if not payload:
        return None, None
    # version 1 has 64-bit times and duration: the matrix starts 12 bytes later.
    matrix_at = 40 if payload[0] == 0 else 52
    if len(payload) < matrix_at + 44:
        return None, None
    a, b = struct.unpack(">ii", payload[matrix_at : matrix_at + 8])
    width, height = struct.unpack(">II", payload[matrix_at + 36 : matrix_at + 44])
    width, height = width >> 16, height >> 16
    if not width or not height:
        return None, None  # an audio track
    if a == 0 and abs(b) == 0x10000:
        width, height = height, width
    return width, height


# --- Storage: files follow their rows --------------------------------------------------------

_files_saved_in_block: ContextVar[list[str] | None] = ContextVar(
    "grove_attachment_files_saved", default=None
)


def _storage():
    return Attachment._meta.get_field("file").storage


def _delete_files(names: Iterable[str]) -> None:
    storage = _storage()
    for name in names:
        if name:
            storage.delete(name)


def files_deleted_on_commit(attachments: Iterable[Attachment]) -> None:
    """Delete these attachments' stored files once the current transaction commits (for an
    action removing them, a practice's deletion included)."""
    names = [
        name
        for attachment in attachments
        for name in (attachment.file.name, attachment.thumbnail.name)
        if name
    ]
    if names:
        transaction.on_commit(partial(_delete_files, names))


@contextmanager
def atomic_removing_files_on_error() -> Iterator[None]:
    """``transaction.atomic()`` that also deletes the files ``attachment_add`` stored inside it
    when the block fails: the block's rows are rolled back, their files go with them.

    (Files stored by a block that succeeds, in a transaction rolled back later, stay orphaned:
    keep the block up to the transaction's end, as a form's view does.)
    """
    outer = _files_saved_in_block.get()
    saved: list[str] = []
    token = _files_saved_in_block.set(saved)
    try:
        with transaction.atomic():
            yield
    except BaseException:
        _delete_files(saved)
        raise
    else:
        if outer is not None:
            outer.extend(saved)
    finally:
        _files_saved_in_block.reset(token)


# --- Actions ---------------------------------------------------------------------------------


def _editable_practice(actor, practice: Practice | uuid.UUID) -> Practice:
    """The practice re-read in the actor's organization and locked for the transaction (two
    uploads at once cannot both take the last place), if the actor may change it: its author,
    or a manager, with Capability.CONTENT_WRITE. PermissionDenied (403) otherwise; Http404 for
    a practice not of the actor's organization."""
    organization_id = getattr(actor, "organization_id", None)
    organization = None
    if organization_id is not None:
        with tenant_context(organization_id):  # RLS shows an organization only in its scope
            organization = actor.organization
    if organization is None or not permits(
        user=actor, organization=organization, capability=Capability.CONTENT_WRITE
    ):
        raise PermissionDenied(NOT_ALLOWED)
    locked = (
        Practice.objects.select_for_update(of=("self",))
        .filter(pk=getattr(practice, "pk", practice), organization_id=organization.pk)
        .first()
    )
    if locked is None:
        raise Http404
    if locked.author_id != actor.pk and not permits(
        user=actor, organization=organization, capability=Capability.CONTENT_CURATE
    ):
        raise PermissionDenied(NOT_ALLOWED)
    return locked


@transaction.atomic
def attachment_add(
    *, actor, practice: Practice, prepared: PreparedMedia, request=None
) -> Attachment:
    """Store a prepared photo or video on ``practice`` (its author, or a manager), at most
    ``MAX_ATTACHMENTS_PER_PRACTICE`` per practice. Records CREATE "attachment"."""
    practice = _editable_practice(actor, practice)
    existing = Attachment.objects.filter(practice=practice)
    if existing.count() >= MAX_ATTACHMENTS_PER_PRACTICE:
        raise ValidationError(
            TOO_MANY_ATTACHMENTS,
            code="too_many_attachments",
            params={"limit": MAX_ATTACHMENTS_PER_PRACTICE},
        )
    last_position = existing.aggregate(last=Max("position"))["last"]
    attachment = Attachment(
        organization_id=practice.organization_id,
        practice=practice,
        kind=prepared.kind,
        content_type=prepared.content_type,
        size=prepared.size,
        width=prepared.width,
        height=prepared.height,
        position=0 if last_position is None else last_position + 1,
    )
    saved: list[str] = []
    try:
        # The names given here only lend their extension: upload_to picks a random name.
        attachment.file.save(f"upload.{prepared.extension}", prepared.file, save=False)
        saved.append(cast(str, attachment.file.name))  # save() just named it
        if prepared.thumbnail:
            attachment.thumbnail.save(
                f"thumbnail.{prepared.thumbnail_extension}",
                ContentFile(prepared.thumbnail),
                save=False,
            )
            saved.append(cast(str, attachment.thumbnail.name))
        attachment.save()
        record_event(
            action=AuditAction.CREATE,
            actor=actor,
            organization=practice.organization_id,
            object_type="attachment",
            object_ids=[attachment.pk],
            request=request,
            details={"practice": str(practice.pk), "kind": attachment.kind},
        )
    except BaseException:
        _delete_files(saved)
        raise
    finally:
        prepared.close()
    block = _files_saved_in_block.get()
    if block is not None:
        block.extend(saved)
    return attachment


@transaction.atomic
def attachment_remove(*, actor, attachment: Attachment, request=None) -> None:
    """Remove a photo or video from its practice (its author, or a manager); the stored files
    are deleted once the transaction commits. Records DELETE "attachment"."""
    practice = _editable_practice(actor, attachment.practice_id)
    attachment_id = attachment.pk
    files_deleted_on_commit([attachment])
    attachment.delete()
    record_event(
        action=AuditAction.DELETE,
        actor=actor,
        organization=practice.organization_id,
        object_type="attachment",
        object_ids=[attachment_id],
        request=request,
        details={"practice": str(practice.pk)},
    )


@transaction.atomic
def attachment_downloaded(*, actor, attachment: Attachment, thumbnail: bool, request=None) -> None:
    """Count a download of the full file (not of a thumbnail) and record DOWNLOAD."""
    if not thumbnail:
        Attachment.objects.filter(pk=attachment.pk).update(download_count=F("download_count") + 1)
    record_event(
        action=AuditAction.DOWNLOAD,
        actor=actor,
        organization=attachment.organization_id,
        object_type="attachment",
        object_ids=[attachment.pk],
        request=request,
        read=True,
        details={"practice": str(attachment.practice_id), "thumbnail": thumbnail},
    )


# --- Query -----------------------------------------------------------------------------------


def attachment_for_member(member, attachment_id) -> Attachment:
    """An attachment of a practice ``member`` may open (``visible_practices``), its practice
    loaded. The same ``Http404`` for another organization's, a forged id, or a practice the
    member may not see."""
    try:
        public_id = uuid.UUID(str(attachment_id))
    except (TypeError, ValueError, AttributeError):
        raise Http404 from None
    if getattr(member, "organization_id", None) is None:
        raise Http404
    attachment = (
        Attachment.objects.filter(
            pk=public_id,
            organization_id=member.organization_id,
            practice__in=queries.visible_practices(member),
        )
        .select_related("practice")
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment
