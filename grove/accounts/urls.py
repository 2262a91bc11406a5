from django.urls import path

from . import profile_views, second_factor_views, views

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
]
