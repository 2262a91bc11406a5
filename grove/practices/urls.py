from django.urls import path

from . import views

app_name = "practices"
urlpatterns = [
    path("", views.feed_view, name="feed"),
    path("search", views.search_view, name="search"),
    path("new", views.practice_create_view, name="create"),
    path("mine", views.my_practices_view, name="mine"),
    path("bookmarks", views.bookmarks_view, name="bookmarks"),
    path("<uuid:practice_id>/", views.practice_view, name="detail"),
    path("<uuid:practice_id>/edit", views.practice_edit_view, name="edit"),
    path("<uuid:practice_id>/publish", views.practice_publish_view, name="publish"),
    path("<uuid:practice_id>/delete", views.practice_delete_view, name="delete"),
    path("<uuid:practice_id>/react/<slug:kind>", views.react_view, name="react"),
    path("<uuid:practice_id>/comments", views.comment_add_view, name="comment_add"),
    path("<uuid:practice_id>/curate/<slug:operation>", views.curate_view, name="curate"),
    path("comments/<uuid:comment_id>/delete", views.comment_delete_view, name="comment_delete"),
    path("members/", views.members_view, name="members"),
    path("members/<uuid:user_id>/", views.member_view, name="member"),
    path("moderation/", views.moderation_view, name="moderation"),
    path("topics/", views.names_view, {"kind": "topics"}, name="topics"),
    path(
        "topics/<uuid:object_id>/rename",
        views.name_rename_view,
        {"kind": "topics"},
        name="topic_rename",
    ),
    path(
        "topics/<uuid:object_id>/delete",
        views.name_delete_view,
        {"kind": "topics"},
        name="topic_delete",
    ),
    path("job-types/", views.names_view, {"kind": "job_types"}, name="job_types"),
    path(
        "job-types/<uuid:object_id>/rename",
        views.name_rename_view,
        {"kind": "job_types"},
        name="job_type_rename",
    ),
    path(
        "job-types/<uuid:object_id>/delete",
        views.name_delete_view,
        {"kind": "job_types"},
        name="job_type_delete",
    ),
    path("settings/", views.organization_settings_view, name="settings"),
]
