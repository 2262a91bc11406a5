from django.urls import path

from . import views

app_name = "subprocessors"
urlpatterns = [
    # Staff: the registry, proposals, the security managers' decisions.
    path("", views.registry, name="registry"),
    path("entries/<slug:slug>/", views.detail, name="detail"),
    path("changes/propose/", views.propose, name="propose"),
    path("changes/queue/", views.queue, name="queue"),
    path("changes/<uuid:change_id>/", views.change, name="change"),
    path("changes/<uuid:change_id>/approve/", views.change_approve, name="change_approve"),
    path("changes/<uuid:change_id>/reject/", views.change_reject, name="change_reject"),
    # Staff: the notices a CSM sends and tracks (a security officer: every organization's).
    path("staff/notices/", views.staff_notices, name="staff_notices"),
    path("staff/deliveries/<uuid:delivery_id>/", views.delivery, name="delivery"),
    path("staff/deliveries/<uuid:delivery_id>/send/", views.notice_send, name="notice_send"),
    path(
        "staff/deliveries/<uuid:delivery_id>/resolve/",
        views.objection_resolve,
        name="objection_resolve",
    ),
    # Client managers: their organization's notices, to acknowledge or object to.
    path("notices/", views.notices, name="notices"),
    path(
        "notices/<uuid:delivery_id>/acknowledge/",
        views.notice_acknowledge,
        name="notice_acknowledge",
    ),
    path("notices/<uuid:delivery_id>/object/", views.notice_object, name="notice_object"),
]
