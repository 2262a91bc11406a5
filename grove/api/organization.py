"""The organization's lists (topics, job types: managers change them) and the moderation queue."""

from __future__ import annotations

import uuid

from django.http import Http404
from ninja import Router, Status

from grove.practices import actions, queries
from grove.practices.models import Topic
from grove.tenancy.models import JobType

from . import serialize
from .auth import MemberRequest
from .schemas import Detail, JobTypeOut, NameIn, PracticeListOut, TopicOut, ValidationErrorOut

router = Router()

ERRORS = {401: Detail, 403: Detail, 404: Detail, 422: ValidationErrorOut}


def _one(model, object_id: uuid.UUID):
    # The scoped manager: another organization's id is the same 404 as an unknown one.
    found = model.objects.filter(pk=object_id).first()
    if found is None:
        raise Http404
    return found


# --- Topics --------------------------------------------------------------------------------------


@router.get("/topics", response={200: list[TopicOut], 401: Detail}, tags=["topics"])
def topic_list(request: MemberRequest):
    return [{"id": t.pk, "name": t.name} for t in Topic.objects.order_by("name")]


@router.post("/topics", response={201: TopicOut, **ERRORS}, tags=["topics"])
def topic_create(request: MemberRequest, payload: NameIn):
    topic = actions.topic_create(actor=request.auth, name=payload.name, request=request)
    return Status(201, {"id": topic.pk, "name": topic.name})


@router.patch("/topics/{topic_id}", response={200: TopicOut, **ERRORS}, tags=["topics"])
def topic_rename(request: MemberRequest, topic_id: uuid.UUID, payload: NameIn):
    topic = actions.topic_rename(
        actor=request.auth, topic=_one(Topic, topic_id), name=payload.name, request=request
    )
    return {"id": topic.pk, "name": topic.name}


@router.delete("/topics/{topic_id}", response={204: None, **ERRORS}, tags=["topics"])
def topic_delete(request: MemberRequest, topic_id: uuid.UUID):
    """Refused (422) while practices use the topic."""
    actions.topic_delete(actor=request.auth, topic=_one(Topic, topic_id), request=request)
    return Status(204, None)


# --- Job types -----------------------------------------------------------------------------------


@router.get("/job-types", response={200: list[JobTypeOut], 401: Detail}, tags=["job types"])
def job_type_list(request: MemberRequest):
    return [{"id": j.pk, "name": j.name} for j in JobType.objects.order_by("name")]


@router.post("/job-types", response={201: JobTypeOut, **ERRORS}, tags=["job types"])
def job_type_create(request: MemberRequest, payload: NameIn):
    job_type = actions.job_type_create(actor=request.auth, name=payload.name, request=request)
    return Status(201, {"id": job_type.pk, "name": job_type.name})


@router.patch("/job-types/{job_type_id}", response={200: JobTypeOut, **ERRORS}, tags=["job types"])
def job_type_rename(request: MemberRequest, job_type_id: uuid.UUID, payload: NameIn):
    job_type = actions.job_type_rename(
        actor=request.auth, job_type=_one(JobType, job_type_id), name=payload.name, request=request
    )
    return {"id": job_type.pk, "name": job_type.name}


@router.delete("/job-types/{job_type_id}", response={204: None, **ERRORS}, tags=["job types"])
def job_type_delete(request: MemberRequest, job_type_id: uuid.UUID):
    """Refused (422) while members hold the job type."""
    actions.job_type_delete(
        actor=request.auth, job_type=_one(JobType, job_type_id), request=request
    )
    return Status(204, None)


# --- Moderation ----------------------------------------------------------------------------------


@router.get("/moderation", response={200: PracticeListOut, **ERRORS}, tags=["curation"])
def moderation(request: MemberRequest):
    """Practices waiting for validation, oldest first (managers)."""
    items = queries.moderation_queue(request.auth, request=request)
    return {"items": [serialize.practice(p) for p in items]}
