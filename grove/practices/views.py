"""The practices pages: feed, search, a practice, publish and edit, reactions and comments,
one's own practices and bookmarks, members, and the managers' pages (moderation, topics, job
types, the organization's setting).

Thin views: they find objects through ``queries`` (another organization's id, or one the person
may not see, is the queries' 404), check the input with a form, call one ``action`` and render or
redirect. An action's ValidationError goes back on the form (status 400); its PermissionDenied is
a 403. Manager pages call ``authorize`` first: a member gets its logged 404, as on the access log.
Requests made by htmx get the fragment they swap in; the same URLs work without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grove.staff.authorization import Capability, authorize, permits
from grove.tenancy.models import JobType

from . import actions, queries
from .attachments import (
    MAX_ATTACHMENTS_PER_PRACTICE,
    atomic_removing_files_on_error,
    attachment_add,
    attachment_remove,
    prepare_upload,
)
from .forms import (
    BoostForm,
    CommentForm,
    FeedFilterForm,
    MemberSearchForm,
    NameForm,
    OrganizationSettingsForm,
    PracticeForm,
    RejectForm,
    SearchForm,
)
from .models import AttachmentKind, PracticeStatus, Reaction, ReactionKind, Topic

# Room for the form's text fields beside its files, in the request size limit below.
FORM_FIELDS_BYTES = 1024 * 1024


# --- Feed, search, bookmarks -------------------------------------------------------------------


# Reads only: no request-wide transaction (ATOMIC_REQUESTS would cost a BEGIN and a COMMIT round
# trip each). Each statement runs in its own; the access-log append is one statement, so the read
# is still recorded before the page leaves, and RLS's set_config rides on every statement.
@transaction.non_atomic_requests
@require_GET
@login_required
def feed_view(request):
    return feed_response(request, template="practices/feed.html")


def feed_response(request, *, template: str, extra: dict | None = None) -> HttpResponse:
    """The feed page (or, for htmx's "Load more", the next items). The home page uses it too."""
    _member_access(request)
    form = FeedFilterForm(request.GET or None)
    cursor = request.GET.get("cursor") or None
    try:
        page = queries.feed_page(
            request.user, filters=form.filters(), cursor=cursor, request=request
        )
    except queries.BadCursor:
        return _bad_cursor(request)
    context = {
        "form": form,
        "items": page.items,
        "boosted": page.boosted,
        "next_url": _next_page_url(request, page.next_cursor),
        "more_url_name": "practices:feed",
        **(extra or {}),
    }
    if request.htmx and cursor:
        return render(request, "practices/_more.html", context)
    return render(request, template, context)


@transaction.non_atomic_requests  # reads only, as feed_view
@require_GET
@login_required
def search_view(request):
    _member_access(request)
    form = SearchForm(request.GET or None)
    query = (request.GET.get("q") or "").strip()[:200]
    cursor = request.GET.get("cursor") or None
    items: list = []
    next_url = None
    if query:
        try:
            page = queries.search_page(
                request.user,
                query=query,
                filters=form.filters(),
                cursor=cursor,
                request=request,
            )
        except queries.BadCursor:
            return _bad_cursor(request)
        items, next_url = page.items, _next_page_url(request, page.next_cursor)
    context = {"form": form, "query": query, "items": items, "next_url": next_url}
    if request.htmx and cursor:
        return render(request, "practices/_more.html", {**context, "with_snippets": True})
    return render(request, "practices/search.html", context)


@require_GET
@login_required
def bookmarks_view(request):
    _member_access(request)
    cursor = request.GET.get("cursor") or None
    try:
        page = queries.bookmarks_page(request.user, cursor=cursor, request=request)
    except queries.BadCursor:
        return _bad_cursor(request)
    context = {"items": page.items, "next_url": _next_page_url(request, page.next_cursor)}
    if request.htmx and cursor:
        return render(request, "practices/_more.html", context)
    return render(request, "practices/bookmarks.html", context)


@require_GET
@login_required
def my_practices_view(request):
    _member_access(request)
    status = request.GET.get("status") or None
    if status not in (None, *PracticeStatus.values):
        status = None
    items = queries.my_practices(request.user, status=status)
    return render(
        request,
        "practices/mine.html",
        {"items": items, "status": status, "statuses": _status_tabs()},
    )


# --- One practice ------------------------------------------------------------------------------


@require_GET
@login_required
def practice_view(request, practice_id):
    _member_access(request)
    practice = queries.practice_for_member(request.user, practice_id, request=request)
    actions.practice_viewed(actor=request.user, practice=practice, request=request)
    return render(request, "practices/practice.html", _practice_context(request, practice))


@require_POST
@login_required
def react_view(request, practice_id, kind: str):
    if kind not in ReactionKind.values:
        raise Http404("Not found.")
    practice = _visible_practice(request, practice_id)
    on = request.POST.get("on") == "1"
    try:
        practice = actions.reaction_set(
            actor=request.user, practice=practice, kind=kind, on=on, request=request
        )
    except ValidationError as error:
        return _refusal(request, error)
    if request.htmx:
        return render(
            request,
            "practices/_reactions.html",
            {"practice": practice, "mine": _my_reactions(request, practice)},
        )
    return redirect(reverse("practices:detail", args=[practice.pk]) + "#reactions")


@require_POST
@login_required
def comment_add_view(request, practice_id):
    practice = _visible_practice(request, practice_id)
    form = CommentForm(request.POST)
    valid = form.is_valid()
    parent_id = form.cleaned_data.get("parent")
    parent = queries.comment_for_member(request.user, parent_id) if parent_id else None
    if valid:
        try:
            actions.comment_add(
                actor=request.user,
                practice=practice,
                body=form.cleaned_data["body"],
                parent=parent,
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
    if not form.errors:
        if request.htmx:
            practice.refresh_from_db(fields=["comment_count"])
            return _comments_fragment(request, practice)
        return redirect(reverse("practices:detail", args=[practice.pk]) + "#comments")
    failed = _failed_comment_forms(form, parent)
    if request.htmx:
        return _comments_fragment(request, practice, status=400, **failed)
    context = {**_practice_context(request, practice), **failed}
    return render(request, "practices/practice.html", context, status=400)


@require_POST
@login_required
def comment_delete_view(request, comment_id):
    comment = queries.comment_for_member(request.user, comment_id)
    practice_id = comment.practice_id
    actions.comment_delete(actor=request.user, comment=comment, request=request)
    if request.htmx:
        return _comments_fragment(request, _visible_practice(request, practice_id))
    messages.success(request, _("The comment was deleted."))
    return redirect(reverse("practices:detail", args=[practice_id]) + "#comments")


# --- Publish, edit, delete ---------------------------------------------------------------------


# The publish and edit forms check the request's size before anything reads its body; the CSRF
# check (which reads the body for its form field) runs after, on the inner view.


@require_http_methods(["GET", "POST"])
@csrf_exempt
@login_required
def practice_create_view(request):
    if oversized := _refuse_oversized(request):
        return oversized
    return _practice_create(request)


@csrf_protect
def _practice_create(request):
    _member_access(request, Capability.CONTENT_WRITE)
    form = PracticeForm(*_posted(request))
    if request.method == "POST" and form.is_valid():
        prepared = _prepare_uploads(form)
        if prepared is not None:
            data = form.cleaned_data
            try:
                with atomic_removing_files_on_error():
                    practice = actions.practice_create(
                        actor=request.user,
                        publish="publish" in request.POST,
                        request=request,
                        **_practice_fields(data),
                    )
                    _add_attachments(request, practice, prepared)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _published_message(practice))
                return redirect("practices:detail", practice.pk)
            finally:
                _close_all(prepared)
    return render(
        request,
        "practices/practice_form.html",
        {"form": form, "practice": None},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@csrf_exempt
@login_required
def practice_edit_view(request, practice_id):
    if oversized := _refuse_oversized(request):
        return oversized
    return _practice_edit(request, practice_id)


@csrf_protect
def _practice_edit(request, practice_id):
    _member_access(request, Capability.CONTENT_WRITE)
    practice = queries.practice_for_author(request.user, practice_id)
    form = PracticeForm(
        *_posted(request),
        initial=PracticeForm.initial_for(practice),
        practice=practice,
    )
    if request.method == "POST" and form.is_valid():
        prepared = _prepare_uploads(form)
        if prepared is not None:
            try:
                with atomic_removing_files_on_error():
                    for attachment in form.cleaned_data.get("remove_attachments") or ():
                        attachment_remove(
                            actor=request.user, attachment=attachment, request=request
                        )
                    practice = actions.practice_update(
                        actor=request.user,
                        practice=practice,
                        request=request,
                        **_practice_fields(form.cleaned_data),
                    )
                    _add_attachments(request, practice, prepared)
                    if "publish" in request.POST and practice.status == PracticeStatus.DRAFT:
                        practice = actions.practice_publish(
                            actor=request.user, practice=practice, request=request
                        )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Your changes are saved."))
                return redirect("practices:detail", practice.pk)
            finally:
                _close_all(prepared)
    return render(
        request,
        "practices/practice_form.html",
        {"form": form, "practice": practice},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@login_required
def practice_publish_view(request, practice_id):
    practice = queries.practice_for_author(request.user, practice_id)
    try:
        practice = actions.practice_publish(actor=request.user, practice=practice, request=request)
    except ValidationError as error:
        return _refusal(request, error)
    messages.success(request, _published_message(practice))
    return redirect("practices:detail", practice.pk)


@require_http_methods(["GET", "POST"])
@login_required
def practice_delete_view(request, practice_id):
    practice = queries.practice_for_author(request.user, practice_id)
    if request.method == "POST":
        own = practice.author_id == request.user.pk
        actions.practice_delete(actor=request.user, practice=practice, request=request)
        messages.success(request, _("The practice was deleted."))
        return redirect("practices:mine" if own else "practices:feed")
    return render(request, "practices/practice_delete.html", {"practice": practice})


# --- Curation (managers) -----------------------------------------------------------------------

CURATION_ACTIONS = {
    "validate": actions.practice_validate,
    "unboost": actions.practice_unboost,
    "highlight": actions.practice_highlight,
    "unhighlight": actions.practice_unhighlight,
    "archive": actions.practice_archive,
    "unarchive": actions.practice_unarchive,
}


@require_POST
@login_required
def curate_view(request, practice_id, operation: str):
    if operation not in (*CURATION_ACTIONS, "reject", "boost"):
        raise Http404("Not found.")
    practice = _visible_practice(request, practice_id)
    try:
        if operation == "reject":
            reject_form = RejectForm(request.POST)
            if not reject_form.is_valid():
                raise ValidationError(reject_form.errors.as_data()["reason"])
            actions.practice_reject(
                actor=request.user,
                practice=practice,
                reason=reject_form.cleaned_data["reason"],
                request=request,
            )
        elif operation == "boost":
            boost_form = BoostForm(request.POST)
            if not boost_form.is_valid():
                raise ValidationError(boost_form.errors.as_data()["until"])
            actions.practice_boost(
                actor=request.user,
                practice=practice,
                until=boost_form.until_datetime(),
                request=request,
            )
        else:
            CURATION_ACTIONS[operation](actor=request.user, practice=practice, request=request)
    except ValidationError as error:
        return _refusal(request, error)
    messages.success(request, _curation_message(operation))
    if operation == "reject":  # back to its author's drafts: no longer the manager's to open
        return redirect(_safe_next(request) or reverse("practices:moderation"))
    return redirect(_safe_next(request) or reverse("practices:detail", args=[practice.pk]))


@require_GET
@login_required
def moderation_view(request):
    _member_access(request, Capability.CONTENT_CURATE)
    items = queries.moderation_queue(request.user, request=request)
    return render(
        request, "practices/moderation.html", {"items": items, "reject_form": RejectForm()}
    )


# --- The organization's lists and setting (managers) ------------------------------------------


class _NameList(TypedDict):
    model: type[Topic] | type[JobType]
    create: Callable[..., object]
    rename: Callable[..., object]
    delete: Callable[..., object]
    object_arg: str


NAME_LISTS: dict[str, _NameList] = {
    "topics": {
        "model": Topic,
        "create": actions.topic_create,
        "rename": actions.topic_rename,
        "delete": actions.topic_delete,
        "object_arg": "topic",
    },
    "job_types": {
        "model": JobType,
        "create": actions.job_type_create,
        "rename": actions.job_type_rename,
        "delete": actions.job_type_delete,
        "object_arg": "job_type",
    },
}


def _name_list_texts(kind: str) -> dict:
    if kind == "topics":
        return {
            "title": _("Topics"),
            "intro": _("The subjects members choose from when they publish a practice."),
            "add": _("Add a topic"),
        }
    return {
        "title": _("Job types"),
        "intro": _("The job types members hold, used to target practices."),
        "add": _("Add a job type"),
    }


@require_http_methods(["GET", "POST"])
@login_required
def names_view(request, kind: str):
    """The list of topics or of job types, with the form that adds one."""
    config = NAME_LISTS[kind]
    _require_organization(request)
    form = NameForm(_posted(request)[0])
    if request.method == "POST":
        if form.is_valid():
            try:
                config["create"](actor=request.user, name=form.cleaned_data["name"])
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Added."))
                return redirect(f"practices:{kind}")
        return _names_page(request, kind, add_form=form, status=400)
    _member_access(request, Capability.SETTINGS_MANAGE)
    return _names_page(request, kind, add_form=form)


@require_POST
@login_required
def name_rename_view(request, kind: str, object_id):
    config = NAME_LISTS[kind]
    _require_organization(request)
    obj = get_object_or_404(config["model"].objects.all(), pk=object_id)  # scoped: 404 elsewhere
    form = NameForm(request.POST)
    if form.is_valid():
        try:
            config["rename"](
                actor=request.user, **{config["object_arg"]: obj}, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Renamed."))
            return redirect(f"practices:{kind}")
    return _names_page(request, kind, failed={"id": obj.pk, "form": form}, status=400)


@require_POST
@login_required
def name_delete_view(request, kind: str, object_id):
    config = NAME_LISTS[kind]
    _require_organization(request)
    obj = get_object_or_404(config["model"].objects.all(), pk=object_id)  # scoped: 404 elsewhere
    try:
        config["delete"](actor=request.user, **{config["object_arg"]: obj})
    except ValidationError as error:
        return _names_page(
            request, kind, failed={"id": obj.pk, "delete_errors": error.messages}, status=400
        )
    messages.success(request, _("Deleted."))
    return redirect(f"practices:{kind}")


def _names_page(request, kind: str, *, add_form=None, failed=None, status=200):
    singular = NAME_LISTS[kind]["object_arg"]
    rows = [
        {
            "object": obj,
            "rename_url": reverse(f"practices:{singular}_rename", args=[obj.pk]),
            "delete_url": reverse(f"practices:{singular}_delete", args=[obj.pk]),
        }
        for obj in NAME_LISTS[kind]["model"].objects.all()
    ]
    return render(
        request,
        "practices/names.html",
        {
            "kind": kind,
            "texts": _name_list_texts(kind),
            "rows": rows,
            "add_form": add_form or NameForm(),
            "failed": failed or {},
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def organization_settings_view(request):
    _require_organization(request)
    organization = request.user.organization
    if request.method == "GET":
        _member_access(request, Capability.SETTINGS_MANAGE)
    form = OrganizationSettingsForm(
        _posted(request)[0],
        initial={"practices_require_validation": organization.practices_require_validation},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.organization_settings_update(
                actor=request.user,
                practices_require_validation=form.cleaned_data["practices_require_validation"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The setting is saved."))
            return redirect("practices:settings")
    return render(
        request,
        "practices/settings.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


# --- Members -----------------------------------------------------------------------------------


@require_GET
@login_required
def members_view(request):
    _member_access(request)
    form = MemberSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    cursor = request.GET.get("cursor") or None
    try:
        page = queries.members_page(request.user, query=query, cursor=cursor, request=request)
    except queries.BadCursor:
        return _bad_cursor(request)
    context = {
        "form": form,
        "members": _items_of(page),
        "next_url": _next_page_url(request, getattr(page, "next_cursor", None)),
    }
    if request.htmx and cursor:
        return render(request, "practices/_members_more.html", context)
    return render(request, "practices/members.html", context)


@require_GET
@login_required
def member_view(request, user_id):
    _member_access(request)
    profile = queries.member_profile(request.user, user_id, request=request)
    return render(request, "practices/member.html", {"profile": profile})


# --- Helpers -----------------------------------------------------------------------------------


def _member_access(request, capability: str = Capability.CONTENT_READ):
    """The person's access to their own organization's practices pages, or a logged 404
    (staff, who have no organization, read client content through their own console)."""
    _require_organization(request)
    user = request.user
    return authorize(
        user=user, organization=user.organization, capability=capability, request=request
    )


def _posted(request) -> tuple:
    """The form data and files of a POST (bound even when empty: an empty POST is a form
    sent with nothing ticked), or nothing for a GET."""
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None


def _require_organization(request) -> None:
    if not request.user.organization_id:
        raise Http404("Not found.")


def _visible_practice(request, practice_id):
    """A practice the person may see, for a write on it (no read is recorded: the action
    records the write)."""
    _require_organization(request)
    return get_object_or_404(queries.visible_practices(request.user), pk=practice_id)


def _practice_context(request, practice) -> dict:
    user = request.user
    attachments = list(practice.attachments.all())
    may_curate = permits(
        user=user, organization=user.organization, capability=Capability.CONTENT_CURATE
    )
    is_author = practice.author_id == user.pk
    return {
        "practice": practice,
        "images": [a for a in attachments if a.kind == AttachmentKind.IMAGE],
        "videos": [a for a in attachments if a.kind == AttachmentKind.VIDEO],
        "mine": _my_reactions(request, practice),
        "comments": queries.comments_for(user, practice),
        "comment_form": CommentForm(),
        "is_author": is_author,
        "may_edit": (is_author or may_curate) and practice.status != PracticeStatus.ARCHIVED,
        "may_delete": is_author or may_curate,
        "may_curate": may_curate,
        "may_comment": practice.status == PracticeStatus.PUBLISHED,
        "reject_form": RejectForm(),
        "boost_form": BoostForm(),
        "is_boosted": practice.is_boosted(),
    }


def _my_reactions(request, practice) -> set[str]:
    """The kinds the person set on this practice (the person's own marks)."""
    known = getattr(practice, "my_reactions", None)
    if known is not None:
        return set(known)
    return set(
        Reaction.objects.filter(practice=practice, user=request.user).values_list("kind", flat=True)
    )


def _failed_comment_forms(form, parent) -> dict:
    """A refused comment's form goes back where it was typed: the main form or a reply's."""
    if parent is None or parent.parent_id is not None:  # replies have no reply form
        return {"comment_form": form}
    return {"failed_form": form, "failed_parent_id": str(parent.pk)}


def _comments_fragment(request, practice, *, status=200, **forms):
    user = request.user
    context = {
        "practice": practice,
        "comments": queries.comments_for(user, practice),
        "comment_form": CommentForm(),
        "may_comment": practice.status == PracticeStatus.PUBLISHED,
        "may_curate": permits(
            user=user, organization=user.organization, capability=Capability.CONTENT_CURATE
        ),
        **forms,
    }
    return render(request, "practices/_comments.html", context, status=status)


def _practice_fields(data: dict) -> dict:
    return {
        "topic": data["topic"],
        "title": data["title"],
        "body": data["body"],
        "language": data["language"],
        "tags": data["tags"],
        "target_countries": list(data["target_countries"]),
        "target_job_types": list(data["target_job_types"]),
    }


def _prepare_uploads(form) -> list | None:
    """Check and prepare every uploaded file before anything is written; on a refusal, its
    message goes on the form and None comes back."""
    files = form.cleaned_data.get("attachments") or []
    prepared, refused = [], False
    for upload in files:
        try:
            prepared.append(prepare_upload(upload))
        except ValidationError as error:
            refused = True
            for message in error.messages:
                form.add_error("attachments", f"{_display_name(upload)}: {message}")
    if refused:
        _close_all(prepared)
        return None
    return prepared


def _close_all(prepared: list) -> None:
    """Release the temporary files of prepared uploads (a stored one is closed already)."""
    for item in prepared:
        item.close()


def _add_attachments(request, practice, prepared: list) -> None:
    for item in prepared:
        attachment_add(actor=request.user, practice=practice, prepared=item, request=request)


def _display_name(upload) -> str:
    # The person's own file name, shown back to them only (never logged).
    return (getattr(upload, "name", "") or _("file"))[:80]


def max_upload_request_bytes() -> int:
    """The largest publish or edit request accepted: as many of the largest files as a practice
    may hold, and its text. Django's DATA_UPLOAD_MAX_MEMORY_SIZE leaves files out; each file's
    own limit is checked while it is read, by ``prepare_upload``."""
    largest = max(settings.GROVE_MAX_IMAGE_BYTES, settings.GROVE_MAX_VIDEO_BYTES)
    return MAX_ATTACHMENTS_PER_PRACTICE * largest + FORM_FIELDS_BYTES


def _refuse_oversized(request) -> HttpResponse | None:
    """A request too large to be a publish form is answered before its body is read."""
    if request.method != "POST":
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = max_upload_request_bytes()
    if length <= limit:
        return None
    return render(
        request,
        "practices/error.html",
        {
            "title": _("Too large"),
            "message": _(
                "These files are too large to send at once (%(limit)d MB at most). "
                "Send fewer or smaller files."
            )
            % {"limit": limit // (1024 * 1024)},
        },
        status=413,
    )


def _add_errors(form, error: ValidationError) -> None:
    """An action's refusal on the form: each field's message beside its field."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            shown = field in form.fields and not form.fields[field].widget.is_hidden
            form.add_error(field if shown else None, errors)
    else:
        form.add_error(None, error)


def _refusal(request, error: ValidationError) -> HttpResponse:
    """An action refused a one-button request: the message, status 400."""
    return render(
        request,
        "practices/error.html",
        {"title": _("Not done"), "message": " ".join(error.messages)},
        status=400,
    )


def _bad_cursor(request) -> HttpResponse:
    return render(
        request,
        "practices/error.html",
        {
            "title": _("This page link is not valid"),
            "message": _(
                "The link to the next page is damaged or out of date. Start again from the "
                "first page."
            ),
            "restart_url": request.path,
        },
        status=400,
    )


def _next_page_url(request, cursor: str | None) -> str | None:
    if not cursor:
        return None
    params = request.GET.copy()
    params["cursor"] = cursor
    return f"{request.path}?{params.urlencode()}"


def _items_of(page) -> list:
    return list(getattr(page, "items", page))


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _published_message(practice) -> str:
    if practice.status == PracticeStatus.PUBLISHED:
        return _("Your practice is published.")
    if practice.status == PracticeStatus.PENDING:
        return _("Your practice is waiting for a manager's validation.")
    return _("Your draft is saved.")


def _curation_message(operation: str) -> str:
    return {
        "validate": _("The practice is validated and published."),
        "reject": _("The practice went back to its author with your reason."),
        "boost": _("The practice is boosted."),
        "unboost": _("The boost is removed."),
        "highlight": _("The practice is highlighted."),
        "unhighlight": _("The highlight is removed."),
        "archive": _("The practice is archived."),
        "unarchive": _("The practice is back in the feed."),
    }[operation]


def _status_tabs() -> list[tuple[str, str]]:
    return [
        (PracticeStatus.DRAFT, _("Drafts")),
        (PracticeStatus.PENDING, _("Waiting for validation")),
        (PracticeStatus.PUBLISHED, _("Published")),
        (PracticeStatus.ARCHIVED, _("Archived")),
    ]
