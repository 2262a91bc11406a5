"""The SCIM 2.0 endpoints under /scim/v2/.

Each request: the bearer ScimToken is checked (401 otherwise), then everything runs inside
``tenant_context(token.organization)`` — ORM scope and PostgreSQL RLS alike (the RLS setting
follows the context variable statement by statement inside the request's transaction). Each
call records one audit event: the action by method, object type "scim_user", the ids touched,
and {"scim_token": id, "status": code} — never a submitted value.
"""

from __future__ import annotations

import functools
import json
import uuid

from django.db import transaction
from django.http import HttpRequest
from django.views.decorators.csrf import csrf_exempt

from grove.accounts.models import User
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.tenancy.context import tenant_context

from . import actions, schemas
from .auth import token_from_request
from .errors import ScimError, not_found, scim_response
from .filters import InvalidFilter, filter_q
from .resources import apply_patch, serialize_user, state_from_resource, state_of

DEFAULT_COUNT = 100
_ACTIONS = {
    "POST": AuditAction.CREATE,
    "PUT": AuditAction.UPDATE,
    "PATCH": AuditAction.UPDATE,
    "DELETE": AuditAction.DELETE,
}


class ScimCall:
    """What the audit event of this call says: set by the endpoint as it goes."""

    def __init__(self, request: HttpRequest, token):
        self.request = request
        self.token = token
        self.organization = token.organization
        self.action = _ACTIONS.get(request.method or "", AuditAction.VIEW)
        self.object_type = "scim_user"
        self.object_ids: list = []

    def record(self, status: int) -> None:
        record_event(
            action=self.action,
            organization=self.organization,
            object_type=self.object_type,
            object_ids=self.object_ids,
            request=self.request,
            details={"scim_token": str(self.token.pk), "status": status},
            read=self.action in (AuditAction.VIEW, AuditAction.LIST),
        )


def scim_endpoint(methods: tuple[str, ...]):
    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            token = token_from_request(request)
            if token is None:
                return ScimError(401, None, "A valid SCIM bearer token is required.").response()
            with tenant_context(token.organization_id):
                call = ScimCall(request, token)
                if request.method not in methods:
                    response = ScimError(405, None, "Method not allowed.").response()
                    response["Allow"] = ", ".join(methods)
                else:
                    try:
                        # The endpoint's writes roll back on a SCIM error; its event stays.
                        with transaction.atomic():
                            response = view(request, call, *args, **kwargs)
                    except ScimError as error:
                        response = error.response()
                call.record(response.status_code)
                return response

        return wrapper

    return decorate


def _body(request: HttpRequest):
    content_type = request.content_type or ""
    if content_type and content_type not in ("application/scim+json", "application/json"):
        raise ScimError(415, None, "Send application/scim+json.")
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ScimError(400, "invalidSyntax", "The body is not valid JSON.") from None


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/scim/v2/")


def _users():
    # The tenant scope gives this organization's users only; the deprovisioned are gone, and
    # so are the erased: their anonymised row is no one to an identity provider (and a PUT
    # must never write a person back onto it).
    return User.objects.select_related("job_type").filter(
        deprovisioned_at__isnull=True, erased_at__isnull=True
    )


def _user_or_404(user_id: str, call: ScimCall):
    try:
        pk = uuid.UUID(str(user_id))
    except ValueError:
        raise not_found() from None
    user = _users().filter(pk=pk).first()
    if user is None:
        raise not_found()
    call.object_ids = [user.pk]
    return user


def _int_param(params, name: str, default: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ScimError(400, "invalidValue", f"{name} must be an integer.") from None


def _project(resource: dict, params) -> dict:
    """attributes / excludedAttributes (RFC 7644 §3.4.2.5), top-level and one sub-level;
    id and schemas are always returned."""
    attributes = params.get("attributes")
    excluded = params.get("excludedAttributes")
    if not attributes and not excluded:
        return resource

    def paths(raw):
        result = []
        for item in raw.split(","):
            item = item.strip()
            lowered = item.lower()
            prefix = schemas.USER_SCHEMA.lower() + ":"
            if lowered.startswith(prefix):
                item = item[len(prefix) :]
            if item:
                result.append(item.lower().split(".", 1))
        return result

    always = {"id", "schemas"}
    if attributes:
        wanted = paths(attributes)
        projected = {}
        for key, value in resource.items():
            if key.lower() in always:
                projected[key] = value
                continue
            matching = [p for p in wanted if p[0] == key.lower()]
            if not matching:
                continue
            subs = [p[1] for p in matching if len(p) == 2]
            if len(subs) < len(matching):  # the whole attribute asked for
                projected[key] = value
            elif isinstance(value, dict):
                projected[key] = {k: v for k, v in value.items() if k.lower() in subs}
            elif isinstance(value, list):
                projected[key] = [
                    {k: v for k, v in item.items() if k.lower() in subs} for item in value
                ]
        return projected
    projected = dict(resource)
    for path in paths(excluded):
        key = next((k for k in projected if k.lower() == path[0]), None)
        if key is None or key.lower() in always:
            continue
        if len(path) == 1:
            del projected[key]
        elif isinstance(projected[key], dict):
            projected[key] = {k: v for k, v in projected[key].items() if k.lower() != path[1]}
    return projected


def _user_response(user, request, *, status: int = 200):
    headers = {"Location": serialize_user(user, request=request)["meta"]["location"]}
    return scim_response(
        _project(serialize_user(user, request=request), request.GET),
        status=status,
        headers=headers,
    )


@scim_endpoint(("GET", "POST"))
def users_view(request: HttpRequest, call: ScimCall):
    if request.method == "POST":
        state = state_from_resource(_body(request))
        user = actions.scim_user_create(
            organization=call.organization, state=state, request=request
        )
        call.object_ids = [user.pk]
        user = _users().get(pk=user.pk)
        return _user_response(user, request, status=201)

    return _list_users(request, call, request.GET)


@scim_endpoint(("POST",))
def search_view(request: HttpRequest, call: ScimCall):
    """POST /.search and /Users/.search (RFC 7644 §3.4.3): the query in a SearchRequest body."""
    body = _body(request)
    if not isinstance(body, dict):
        raise ScimError(400, "invalidSyntax", "The body must be a JSON object.")
    params = {}
    for key, value in body.items():
        if key in ("filter", "startIndex", "count"):
            params[key] = str(value)
        elif key in ("attributes", "excludedAttributes"):
            params[key] = ",".join(value) if isinstance(value, list) else str(value)
        elif key in ("sortBy", "sortOrder"):
            raise ScimError(400, "invalidValue", "Sorting is not supported.")
    return _list_users(request, call, params)


def _list_users(request: HttpRequest, call: ScimCall, params):
    call.action = AuditAction.LIST
    users = _users()
    raw_filter = params.get("filter")
    if raw_filter:
        try:
            users = users.filter(filter_q(raw_filter))
        except InvalidFilter:
            raise ScimError(400, "invalidFilter", "The filter is not supported.") from None
    start_index = max(_int_param(params, "startIndex", 1), 1)
    count = min(max(_int_param(params, "count", DEFAULT_COUNT), 0), schemas.MAX_RESULTS)
    users = users.order_by("created_at", "id")
    total = users.count()
    page = list(users[start_index - 1 : start_index - 1 + count]) if count else []
    call.object_ids = [u.pk for u in page]
    resources = [_project(serialize_user(u, request=request), params) for u in page]
    return scim_response(schemas.list_response(resources, total=total, start_index=start_index))


@scim_endpoint(("GET", "PUT", "PATCH", "DELETE"))
def user_view(request: HttpRequest, call: ScimCall, user_id: str):
    user = _user_or_404(user_id, call)
    if request.method == "GET":
        return _user_response(user, request)
    if request.method == "DELETE":
        actions.scim_user_delete(organization=call.organization, user=user, request=request)
        return scim_response(None, status=204)
    if request.method == "PUT":
        state = state_from_resource(_body(request), current=state_of(user))
    else:
        state = apply_patch(state_of(user), _body(request))
    actions.scim_user_replace(
        organization=call.organization, user=user, state=state, request=request
    )
    return _user_response(_users().get(pk=user.pk), request)


@scim_endpoint(("GET",))
def service_provider_config_view(request: HttpRequest, call: ScimCall):
    call.object_type = "scim_config"
    return scim_response(schemas.service_provider_config(_base_url(request)))


@scim_endpoint(("GET",))
def schemas_view(request: HttpRequest, call: ScimCall, schema_id: str | None = None):
    call.object_type = "scim_config"
    documents = schemas.schemas(_base_url(request))
    if schema_id is None:
        call.action = AuditAction.LIST
        return scim_response(schemas.list_response(documents, total=len(documents)))
    for document in documents:
        if document["id"] == schema_id:
            return scim_response(document)
    raise not_found()


@scim_endpoint(("GET",))
def resource_types_view(request: HttpRequest, call: ScimCall, type_id: str | None = None):
    call.object_type = "scim_config"
    documents = schemas.resource_types(_base_url(request))
    if type_id is None:
        call.action = AuditAction.LIST
        return scim_response(schemas.list_response(documents, total=len(documents)))
    for document in documents:
        if document["id"] == type_id:
            return scim_response(document)
    raise not_found()


@scim_endpoint(("GET", "POST", "PUT", "PATCH", "DELETE"))
def unknown_view(request: HttpRequest, call: ScimCall, rest: str = ""):
    """Anything else under /scim/v2/ (Groups, Bulk, Me...): a SCIM 404, recorded like the rest."""
    call.object_type = "scim_config"
    raise not_found()
