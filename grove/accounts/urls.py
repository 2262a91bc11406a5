from django.urls import path

from . import invitation_views, profile_views, second_factor_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password-reset/", views.password_reset_request_view, name="password_reset"),
    path("password-reset/sent/", views.password_reset_sent_view, name="password_reset_sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.password_reset_confirm_view,
        name="password_reset_confirm",
    ),
    path("password-reset/done/", views.password_reset_done_view, name="password_reset_done"),
    path("second-factor/", second_factor_views.second_factor_verify_view, name="otp_verify"),
    path("second-factor/enrol/", second_factor_views.second_factor_enrol_view, name="otp_enrol"),
    path("profile/", profile_views.profile_view, name="profile"),
    # Invitations: the activation link, the terms of use, and the status page (managers: their
    # organization; staff: the organization named by id or slug).
    path("invitation/<str:token>/", invitation_views.invitation_view, name="invitation"),
    path("terms/", invitation_views.terms_view, name="terms"),
    path("invitations/", invitation_views.invitations_view, name="invitations"),
    path(
        "invitations/org/<str:organization>/",
        invitation_views.invitations_view,
        name="org_invitations",
    ),
    path(
        "invitations/<uuid:invitation_id>/resend",
        invitation_views.invitation_resend_view,
        name="invitation_resend",
    ),
    path(
        "invitations/<uuid:invitation_id>/revoke",
        invitation_views.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path(
        "invitations/members/<uuid:user_id>/invite",
        invitation_views.member_invite_view,
        name="member_invite",
    ),
    path(
        "invitations/members/<uuid:user_id>/deactivate",
        invitation_views.member_deactivate_view,
        name="member_deactivate",
    ),
    path(
        "invitations/org/<str:organization>/<uuid:invitation_id>/resend",
        invitation_views.invitation_resend_view,
        name="org_invitation_resend",
    ),
    path(
        "invitations/org/<str:organization>/<uuid:invitation_id>/revoke",
        invitation_views.invitation_revoke_view,
        name="org_invitation_revoke",
    ),
    path(
        "invitations/org/<str:organization>/members/<uuid:user_id>/invite",
        invitation_views.member_invite_view,
        name="org_member_invite",
    ),
    path(
        "invitations/org/<str:organization>/members/<uuid:user_id>/deactivate",
        invitation_views.member_deactivate_view,
        name="org_member_deactivate",
    ),
]
