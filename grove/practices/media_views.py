"""Downloads of attachments: the full file and its thumbnail, streamed through the storage API.

Nothing uploaded is ever served from MEDIA_URL: each request is checked here (a logged-in member
who may open the practice), then the file is read through ``storage.open`` (the local disk or an
Azure blob alike). Answers carry the row's content type, ``nosniff`` and a sandboxing CSP, so a
file can never run as a page of the site. Videos (and photos) answer HTTP Range requests, so a
phone can seek in a video.
"""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.views.decorators.http import require_safe

from grove.staff.authorization import Capability, authorize

from .attachments import attachment_downloaded, attachment_for_member
from .models import Attachment

CACHE_SECONDS = 60 * 60  # private: the browser's own cache only, never a shared one
CHUNK_BYTES = 64 * 1024
THUMBNAIL_TYPES = {"webp": "image/webp", "jpg": "image/jpeg"}
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class UnsatisfiableRange(Exception):  # noqa: N818 -- an answer (416), not an error of the code
    pass


@require_safe
@login_required
def attachment_file(request, attachment_id):
    return _serve(request, attachment_id, thumbnail=False)


@require_safe
@login_required
def attachment_thumbnail(request, attachment_id):
    return _serve(request, attachment_id, thumbnail=True)


def _serve(request, attachment_id, *, thumbnail: bool):
    user = request.user
    if user.organization_id is None:  # operator staff: no member's content here
        raise Http404
    authorize(
        user=user,
        organization=user.organization,
        capability=Capability.CONTENT_READ,
        request=request,
        object_type="attachment",
        object_id=attachment_id,
    )
    attachment = attachment_for_member(user, attachment_id)
    stored = attachment.thumbnail if thumbnail else attachment.file
    if not stored.name:  # a video has no thumbnail
        raise Http404
    content_type = _content_type(attachment, stored.name, thumbnail=thumbnail)
    try:
        handle = stored.storage.open(stored.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    size = handle.size
    try:
        byte_range = _requested_range(request.headers.get("Range", ""), size)
    except UnsatisfiableRange:
        handle.close()
        unsatisfiable = HttpResponse(status=416)
        unsatisfiable["Content-Range"] = f"bytes */{size}"
        return _protected(unsatisfiable, stored.name)
    # One download per viewing: a player's later range requests (seeking) are not counted.
    if request.method == "GET" and (byte_range is None or byte_range[0] == 0):
        attachment_downloaded(
            actor=user, attachment=attachment, thumbnail=thumbnail, request=request
        )
    if byte_range is None:
        response = FileResponse(handle, content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        start, end = byte_range
        response = FileResponse(
            _Slice(handle, start, end - start + 1), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    response.block_size = CHUNK_BYTES
    return _protected(response, stored.name)


def _content_type(attachment: Attachment, name: str, *, thumbnail: bool) -> str:
    if not thumbnail:
        return attachment.content_type
    return THUMBNAIL_TYPES.get(name.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def _protected(response, name: str):
    # The stored name is random (practices/<organization>/<hex>.<ext>): only its last part.
    filename = name.rsplit("/", 1)[-1]
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
    response["Accept-Ranges"] = "bytes"
    return response


def _requested_range(header: str, size: int) -> tuple[int, int] | None:
    """The one byte range asked for (first, last, inclusive), or None to send the whole file.

    A unit other than bytes, or several ranges, is ignored (the whole file, as RFC 9110
    allows); a malformed or unsatisfiable bytes range raises ``UnsatisfiableRange`` (416).
    """
    header = header.strip()
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    match = RANGE.match(header)
    if match is None:
        raise UnsatisfiableRange
    first, last = match.groups()
    if first == "":
        if last == "" or int(last) == 0 or size == 0:
            raise UnsatisfiableRange
        return max(0, size - int(last)), size - 1  # the last N bytes
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        raise UnsatisfiableRange
    return start, min(end, size - 1)


class _Slice:
    """``length`` bytes of ``handle`` from ``start``, read in chunks; closes the handle."""

    def __init__(self, handle, start: int, length: int) -> None:
        self.handle = handle
        self.remaining = length
        handle.seek(start)

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        wanted = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self.handle.read(wanted)
        self.remaining -= len(data)
        return data

    def close(self) -> None:
        self.handle.close()
