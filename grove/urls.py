from django.urls import include, path

from grove.accounts.webhooks import BrevoTrackingWebhook

urlpatterns = [
    path("", include("grove.core.urls")),
    path("accounts/", include("grove.accounts.urls")),
    path("access-log/", include("grove.audit.urls")),
    path("staff/", include("grove.staff.urls")),
    path("practices/", include("grove.practices.urls")),
    path("files/", include("grove.practices.media_urls")),
    path("notifications/", include("grove.notifications.urls")),
    path("insights/", include("grove.insights.urls")),
    path("api/", include("grove.api.urls")),
    # Brevo's delivery reports (basic auth: ANYMAIL_WEBHOOK_SECRET).
    path(
        "anymail/brevo/tracking/",
        BrevoTrackingWebhook.as_view(),
        name="anymail_brevo_tracking",
    ),
    path("onboarding/scim-tokens/", include("grove.onboarding.scim.token_urls")),
    path("onboarding/import/", include("grove.onboarding.import_urls")),
    path("scim/v2/", include("grove.onboarding.scim.urls")),
    # Data-subject requests: the person's, the public form's, the CSM's and the officer's pages.
    path("rights/", include("grove.rights.urls")),
    # The subprocessor registry's changes and notices (staff and client managers).
    path("subprocessor-registry/", include("grove.subprocessors.urls")),
    # Retention: the contract's end, legal holds, purges and certificates (staff), and the
    # organization export the client's managers download from the notice mail.
    path("retention/", include("grove.retention.urls")),
    # Public, no login: /privacy, /subprocessors(.json|.atom), generated from live configuration.
    path("", include("grove.privacy.urls")),
]
