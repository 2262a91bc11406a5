"""SCIM error responses (RFC 7644 §3.12)."""

from __future__ import annotations

import json

from django.http import HttpResponse

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_CONTENT_TYPE = "application/scim+json"


def scim_response(document: dict | None, *, status: int = 200, headers=None) -> HttpResponse:
    body = json.dumps(document) if document is not None else ""
    response = HttpResponse(
        body, status=status, content_type=SCIM_CONTENT_TYPE if document is not None else None
    )
    for key, value in (headers or {}).items():
        response[key] = value
    return response


class ScimError(Exception):
    """An error answered as a SCIM error document. ``detail`` never holds a submitted value."""

    def __init__(self, status: int, scim_type: str | None, detail: str):
        super().__init__(detail)
        self.status = status
        self.scim_type = scim_type
        self.detail = detail

    def response(self) -> HttpResponse:
        document = {"schemas": [ERROR_SCHEMA], "status": str(self.status), "detail": self.detail}
        if self.scim_type:
            document["scimType"] = self.scim_type
        headers = {"WWW-Authenticate": 'Bearer realm="scim"'} if self.status == 401 else None
        return scim_response(document, status=self.status, headers=headers)


def not_found() -> ScimError:
    return ScimError(404, None, "Resource not found.")
