"""Data map of third-party models (Django's and libraries'), which we cannot annotate in place."""

from .datamap import SYSTEM, Category, Retention

THIRD_PARTY_DATA_MAP: dict[str, dict[str, tuple[str, str]]] = {
    "auth.Permission": {"id": SYSTEM, "name": SYSTEM, "content_type": SYSTEM, "codename": SYSTEM},
    "auth.Group": {"id": SYSTEM, "name": SYSTEM, "permissions": SYSTEM},
    "contenttypes.ContentType": {"id": SYSTEM, "app_label": SYSTEM, "model": SYSTEM},
    # The session row carries the session cookie's key and the logged-in user's id.
    "sessions.Session": {
        "session_key": (Category.SESSION_COOKIE, Retention.UNTIL_ERASED),
        "session_data": (Category.SESSION_COOKIE, Retention.UNTIL_ERASED),
        "expire_date": SYSTEM,
    },
    # Task rows hold ids only (task arguments never carry personal data).
    "django_tasks_database.DBTaskResult": {
        "id": SYSTEM,
        "status": SYSTEM,
        "enqueued_at": SYSTEM,
        "started_at": SYSTEM,
        "finished_at": SYSTEM,
        "args_kwargs": SYSTEM,
        "priority": SYSTEM,
        "task_path": SYSTEM,
        "worker_ids": SYSTEM,
        "queue_name": SYSTEM,
        "backend_name": SYSTEM,
        "run_after": SYSTEM,
        "return_value": SYSTEM,
        "exception_class_path": SYSTEM,
        "traceback": SYSTEM,
    },
}
