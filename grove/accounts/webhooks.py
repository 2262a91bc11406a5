"""The mail provider's tracking webhook (Brevo, through anymail) and its signal receiver.

anymail parses Brevo's reports and sends its ``tracking`` signal (the library's way to hand
events over); the receiver is thin and calls the action ``invitation_delivery_event``, which
marks the invitation delivered, deferred, bounced or complained by the provider's message id.

The webhook is protected by HTTP basic auth (``ANYMAIL["WEBHOOK_SECRET"]``, checked by anymail
in constant time). Grove fails closed: without a configured secret the webhook answers 404,
and a request without the right credentials gets 401.
"""

from __future__ import annotations

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.webhooks.brevo import BrevoTrackingWebhookView
from django.http import Http404, HttpResponse, HttpResponseBadRequest

from .invitations import invitation_delivery_event


class BrevoTrackingWebhook(BrevoTrackingWebhookView):
    # Never open to anyone: without a secret the view refuses (below) instead of warning.
    warn_if_no_basic_auth = False

    def post(self, request, *args, **kwargs):
        if not self.basic_auth:
            raise Http404("Not found.")
        try:
            self.run_validators(request)
        except AnymailWebhookValidationFailure:
            response = HttpResponse("Authentication required.", status=401)
            response["WWW-Authenticate"] = 'Basic realm="grove-webhooks"'
            return response
        try:
            return super().post(request, *args, **kwargs)
        except (ValueError, TypeError, AttributeError):  # not Brevo's JSON
            return HttpResponseBadRequest("Malformed payload.")


def tracking_received(sender, event, esp_name, **kwargs) -> None:
    """anymail's ``tracking`` signal: hand the event's type and message id to the action."""
    invitation_delivery_event(event_type=event.event_type, message_id=event.message_id)
