"""SCIM User resources: our five attributes (+ active) read from a request, changed by a
PatchOp, and written back as the resource we answer.

What a provider sends beyond them (phoneNumbers, photos, externalId, manager, displayName,
nickName, the enterprise extension's employeeNumber...) is read past and dropped here: it never
reaches a model, a log line or an audit event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from django.urls import reverse

from .errors import ScimError
from .filters import USER_SCHEMA, InvalidFilter, parse_filter

ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@dataclass(frozen=True)
class UserState:
    """What SCIM may set on a user: the allowed attributes, and active."""

    email: str
    first_name: str
    last_name: str
    country: str
    job_type: str
    active: bool


def state_of(user) -> UserState:
    return UserState(
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        country=str(user.country or ""),
        job_type=user.job_type.name if user.job_type_id else "",
        active=user.is_active,
    )


def user_location(request, user) -> str:
    return request.build_absolute_uri(reverse("scim:user", args=[user.pk]))


def serialize_user(user, *, request) -> dict:
    """The resource we answer: only what we store."""
    created = user.created_at.isoformat().replace("+00:00", "Z")
    resource: dict = {
        "schemas": [USER_SCHEMA],
        "id": str(user.pk),
        "userName": user.email,
        "name": {"givenName": user.first_name, "familyName": user.last_name},
        "emails": [{"value": user.email, "type": "work", "primary": True}],
        "active": user.is_active,
    }
    if user.job_type_id:
        resource["title"] = user.job_type.name
    if user.country:
        resource["addresses"] = [{"type": "work", "country": str(user.country), "primary": True}]
    resource["meta"] = {
        "resourceType": "User",
        "created": created,
        # No modification date is stored on users: the creation date stands for it.
        "lastModified": created,
        "location": user_location(request, user),
    }
    return resource


# --- Reading values -------------------------------------------------------------------------


def parse_bool(value) -> bool:
    """true/false, and the strings "True"/"False" Entra ID sends."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ScimError(400, "invalidValue", "active must be true or false.")


def _string(value, attribute: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ScimError(400, "invalidValue", f"{attribute} must be a string.")
    return value.strip()


def _lower_keys(data: dict) -> dict:
    return {str(k).lower(): v for k, v in data.items()}


def _pick(values, attribute: str) -> dict | None:
    """The primary item of a multi-valued attribute, else the "work" one, else the first."""
    if values is None:
        return None
    if isinstance(values, dict):
        values = [values]
    if not isinstance(values, list):
        raise ScimError(400, "invalidValue", f"{attribute} must be a list.")
    items = [_lower_keys(v) for v in values if isinstance(v, dict)]
    for item in items:
        if item.get("primary") is True or str(item.get("primary")).lower() == "true":
            return item
    for item in items:
        if str(item.get("type", "")).lower() == "work":
            return item
    return items[0] if items else None


def _email_from(data: dict) -> str:
    username = _string(data.get("username"), "userName")
    if "@" in username:
        return username.lower()
    email = _pick(data.get("emails"), "emails")
    if email is not None:
        return _string(email.get("value"), "emails.value").lower()
    return username.lower()


def _country_from(addresses) -> str:
    address = _pick(addresses, "addresses")
    return _string(address.get("country"), "addresses.country") if address else ""


def state_from_resource(data, *, current: UserState | None = None) -> UserState:
    """A POST (``current`` None) or PUT body as a UserState. A PUT replaces: a missing title
    or address clears the job type or country; the names, required, keep their value."""
    if not isinstance(data, dict):
        raise ScimError(400, "invalidSyntax", "The body must be a JSON object.")
    data = _lower_keys(data)
    core = data.get(USER_SCHEMA.lower())
    if isinstance(core, dict):  # attributes nested under the core schema's urn
        data = {**_lower_keys(core), **data}
    name = data.get("name") or {}
    if not isinstance(name, dict):
        raise ScimError(400, "invalidValue", "name must be an object.")
    name = _lower_keys(name)
    first_name = _string(name.get("givenname"), "name.givenName")
    last_name = _string(name.get("familyname"), "name.familyName")
    if current is not None:
        first_name = first_name or current.first_name
        last_name = last_name or current.last_name
    return UserState(
        email=_email_from(data),
        first_name=first_name,
        last_name=last_name,
        country=_country_from(data.get("addresses")),
        job_type=_string(data.get("title"), "title"),
        active=parse_bool(data["active"]) if data.get("active") is not None else True,
    )


# --- PatchOp ----------------------------------------------------------------------------------

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
_PATH_RE = re.compile(
    r"^(?P<attr>[a-z$][\w$-]*)(?:\[(?P<filter>[^\]]*)\])?(?:\.(?P<sub>[a-z$][\w$-]*))?$"
)


def apply_patch(state: UserState, body) -> UserState:
    """Apply a PatchOp's operations in order (RFC 7644 §3.5.2), in the shapes Okta and Entra
    send: ops in any case, with or without a path, string booleans, urn-prefixed paths."""
    if not isinstance(body, dict):
        raise ScimError(400, "invalidSyntax", "The body must be a JSON object.")
    body = _lower_keys(body)
    operations = body.get("operations")
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "invalidSyntax", "Operations must be a non-empty list.")
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError(400, "invalidSyntax", "Each operation must be an object.")
        operation = _lower_keys(operation)
        op = str(operation.get("op", "")).lower()
        if op not in ("add", "replace", "remove"):
            raise ScimError(400, "invalidSyntax", "op must be add, replace or remove.")
        path = operation.get("path")
        value = operation.get("value")
        if path in (None, ""):
            if op == "remove":
                raise ScimError(400, "noTarget", "remove needs a path.")
            if not isinstance(value, dict):
                raise ScimError(400, "invalidValue", "Without a path the value is an object.")
            for key, item in value.items():
                state = _apply_path(state, op, str(key), item)
        else:
            if not isinstance(path, str):
                raise ScimError(400, "invalidPath", "path must be a string.")
            state = _apply_path(state, op, path, value)
    return state


def _strip_schema(path: str) -> tuple[str, str]:
    """(schema, attribute path): the core schema's urn prefix is optional."""
    lowered = path.strip().lower()
    for schema in (USER_SCHEMA.lower(), ENTERPRISE_SCHEMA.lower()):
        if lowered == schema:
            return schema, ""
        if lowered.startswith(schema + ":"):
            return schema, lowered[len(schema) + 1 :]
    if lowered.startswith("urn:"):
        return "other", lowered
    return USER_SCHEMA.lower(), lowered


def _apply_path(state: UserState, op: str, path: str, value) -> UserState:
    schema, attribute_path = _strip_schema(path)
    if schema != USER_SCHEMA.lower():
        return state  # the enterprise extension and other schemas: accepted, dropped
    if attribute_path == "":
        # The core schema's urn as a key: its value holds attributes.
        if isinstance(value, dict):
            for key, item in value.items():
                state = _apply_path(state, op, str(key), item)
        return state
    match = _PATH_RE.match(attribute_path)
    if match is None:
        raise ScimError(400, "invalidPath", "The path is not valid.")
    attr, value_filter, sub = match.group("attr"), match.group("filter"), match.group("sub")
    if value_filter is not None:
        try:
            parse_filter(value_filter)
        except InvalidFilter:
            raise ScimError(400, "invalidPath", "The path's filter is not valid.") from None
    remove = op == "remove"

    if attr == "username" and sub is None:
        return replace(state, email="" if remove else _string(value, "userName").lower())
    if attr == "name":
        if sub is None:
            if remove:
                return replace(state, first_name="", last_name="")
            if not isinstance(value, dict):
                raise ScimError(400, "invalidValue", "name must be an object.")
            for key, item in value.items():
                state = _apply_path(state, op, f"name.{key}", item)
            return state
        if sub == "givenname":
            return replace(state, first_name="" if remove else _string(value, "name.givenName"))
        if sub == "familyname":
            return replace(state, last_name="" if remove else _string(value, "name.familyName"))
        return state  # formatted, middleName, honorificPrefix...: dropped
    if attr == "emails":
        if remove:
            return replace(state, email="") if sub in (None, "value") else state
        if sub is None:
            if value_filter is not None and isinstance(value, dict):
                item = _lower_keys(value)
            else:
                item = _pick(value, "emails")
            if item is None or item.get("value") is None:
                return state
            return replace(state, email=_string(item.get("value"), "emails.value").lower())
        if sub == "value":
            return replace(state, email=_string(value, "emails.value").lower())
        return state  # type, primary, display: ours is the one work email
    if attr == "active" and sub is None:
        return state if remove else replace(state, active=parse_bool(value))
    if attr == "title" and sub is None:
        return replace(state, job_type="" if remove else _string(value, "title"))
    if attr == "addresses":
        if remove:
            return replace(state, country="") if sub in (None, "country") else state
        if sub is None:
            if value_filter is not None and isinstance(value, dict):
                item = _lower_keys(value)
            else:
                item = _pick(value, "addresses")
            if item is None or "country" not in item:
                return state
            return replace(state, country=_string(item.get("country"), "addresses.country"))
        if sub == "country":
            return replace(state, country=_string(value, "addresses.country"))
        return state  # streetAddress, locality, postalCode...: dropped
    # phoneNumbers, photos, externalId, displayName, nickName, locale, ims, groups...: dropped
    return state
