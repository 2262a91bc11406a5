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
    # Staff second factor (django-otp): the TOTP key and the recovery codes' hashes are
    # credentials; the throttling and last-use times say when a staff member signed in
    # (functional logs).
    "otp_totp.TOTPDevice": {
        "id": SYSTEM,
        "user": (Category.PERSON_REFERENCE, Retention.UNTIL_ERASED),
        "name": SYSTEM,
        "confirmed": SYSTEM,
        "throttling_failure_timestamp": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),
        "throttling_failure_count": SYSTEM,
        "created_at": SYSTEM,
        "last_used_at": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),
        "key": (Category.CREDENTIAL, Retention.UNTIL_ERASED),
        "step": SYSTEM,
        "t0": SYSTEM,
        "digits": SYSTEM,
        "tolerance": SYSTEM,
        "drift": SYSTEM,
        "last_t": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),  # time step of the last use
    },
    "otp_static.StaticDevice": {
        "id": SYSTEM,
        "user": (Category.PERSON_REFERENCE, Retention.UNTIL_ERASED),
        "name": SYSTEM,
        "confirmed": SYSTEM,
        "throttling_failure_timestamp": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),
        "throttling_failure_count": SYSTEM,
        "created_at": SYSTEM,
        "last_used_at": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),
    },
    "otp_static.StaticToken": {
        "id": SYSTEM,
        "device": SYSTEM,
        # A recovery code's keyed hash (accounts.second_factor.recovery_code_hash), never the code.
        "token": (Category.CREDENTIAL, Retention.UNTIL_ERASED),
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
