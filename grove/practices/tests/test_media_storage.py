"""The storage of uploaded files: the local filesystem by default, Azure Blob (django-storages)
when the environment says so. Settings are imported in a subprocess with that environment; the
storage is built but never contacted (no network)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

from django.conf import settings

AZURE = "storages.backends.azure_storage.AzureStorage"
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.core.files.storage import default_storage, storages
storage = storages["default"]
print(json.dumps({
    "backend": settings.STORAGES["default"]["BACKEND"],
    "class": f"{type(storage).__module__}.{type(storage).__name__}",
    "account_name": getattr(storage, "account_name", None),
    "account_key": getattr(storage, "account_key", None),
    "connection_string": getattr(storage, "connection_string", None),
    "container": getattr(storage, "azure_container", None),
    "ssl": getattr(storage, "azure_ssl", None),
    "overwrite": getattr(storage, "overwrite_files", None),
    "expiration": getattr(storage, "expiration_secs", None),
    "media_root": str(settings.MEDIA_ROOT),
    "image_limit": settings.GROVE_MAX_IMAGE_BYTES,
    "video_limit": settings.GROVE_MAX_VIDEO_BYTES,
}))
"""
OUR_VARIABLES = (
    "STORAGE_BACKEND",
    "AZURE_ACCOUNT_NAME",
    "AZURE_ACCOUNT_KEY",
    "AZURE_CONNECTION_STRING",
    "AZURE_CONTAINER",
    "AZURE_URL_EXPIRATION_SECS",
    "GROVE_MAX_IMAGE_BYTES",
    "GROVE_MAX_VIDEO_BYTES",
    "MEDIA_ROOT",
    "DATABASE_URL",
)


def _settings_with(tmp_path, **values: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in OUR_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="grove.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        DATABASE_URL=f"sqlite:///{tmp_path / 'grove.sqlite3'}",
        **values,
    )
    result = subprocess.run(  # noqa: S603 -- our own interpreter
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_files_go_to_the_local_media_root_by_default(tmp_path):
    found = _settings_with(tmp_path, MEDIA_ROOT=str(tmp_path / "uploads"))

    assert found["backend"] == "django.core.files.storage.FileSystemStorage"
    assert found["class"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert found["media_root"] == str(tmp_path / "uploads")
    assert (found["image_limit"], found["video_limit"]) == (10 * 1024 * 1024, 50 * 1024 * 1024)


def test_azure_blob_storage_is_built_from_the_environment(tmp_path):
    found = _settings_with(
        tmp_path,
        STORAGE_BACKEND=AZURE,
        AZURE_ACCOUNT_NAME="grovemedia",
        AZURE_ACCOUNT_KEY="dGVzdC1vbmx5LW5vdC1hLXJlYWwta2V5",
        AZURE_CONTAINER="practices",
        AZURE_URL_EXPIRATION_SECS="120",
        GROVE_MAX_IMAGE_BYTES="5000000",
        GROVE_MAX_VIDEO_BYTES="20000000",
    )

    assert found["backend"] == AZURE
    assert found["class"] == AZURE
    assert found["account_name"] == "grovemedia"
    assert found["account_key"] == "dGVzdC1vbmx5LW5vdC1hLXJlYWwta2V5"
    assert found["container"] == "practices"
    assert found["ssl"] is True
    assert found["overwrite"] is False
    assert found["expiration"] == 120
    assert (found["image_limit"], found["video_limit"]) == (5000000, 20000000)


def test_azure_takes_a_connection_string_instead(tmp_path):
    connection = (
        "DefaultEndpointsProtocol=https;AccountName=grovemedia;"
        "AccountKey=dGVzdA==;EndpointSuffix=core.windows.net"
    )

    found = _settings_with(tmp_path, STORAGE_BACKEND=AZURE, AZURE_CONNECTION_STRING=connection)

    assert found["class"] == AZURE
    assert found["connection_string"] == connection
    assert found["account_name"] == "grovemedia"  # django-storages reads it from the string
    assert found["container"] == "media"
    assert found["overwrite"] is False
