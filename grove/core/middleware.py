import uuid

from .request_context import reset_request_id, set_request_id


class RequestIdMiddleware:
    """Gives each request an id, echoed in the X-Request-ID header, the logs and the access log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = str(uuid.uuid4())
        request.request_id = request_id
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response["X-Request-ID"] = request_id
        return response
