"""The refusals of the rights workflow: bad input answered with a clear message.

Views turn them into a form error or a 404 (``RequestNotFound``), commands into a CommandError.
Messages never carry a person's data.
"""


class RightsRefusal(Exception):  # noqa: N818 -- a refusal, not a bug
    """A request, step or command refused for a reason the caller can read."""


class RequestNotFound(RightsRefusal):
    """Unknown request, or one the caller may not see: the same answer for both."""


class InvalidTransition(RightsRefusal):
    """The step is not allowed from the request's current state, or not by this person."""


class ExportUnavailable(RightsRefusal):
    """The export link is unknown, already used, or expired."""
