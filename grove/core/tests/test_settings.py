"""Settings from the environment: a production configuration passes Django's deploy checks, mail
goes through Brevo when its key is set, and .env.example documents every variable."""

import os
import re
import secrets
import subprocess
import sys

from django.conf import settings

SETTINGS_SOURCE = settings.BASE_DIR / "grove" / "settings.py"
ENV_EXAMPLE = settings.BASE_DIR / ".env.example"

# env.str("X", env.bool("X", env.int(, env.list(, env.db(, env.path(, ... and env("X".
ENV_READ = re.compile(
    r"\benv(?:\.(?:str|bool|int|float|list|tuple|dict|json|db|url|path))?\(\s*\"(\w+)\""
)


def _variables_read_by_settings() -> set[str]:
    return set(ENV_READ.findall(SETTINGS_SOURCE.read_text(encoding="utf-8")))


def _clean_environment(**values: str) -> dict[str, str]:
    """This process's environment without any of Grove's variables, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if k not in _variables_read_by_settings()}
    env["DJANGO_SETTINGS_MODULE"] = "grove.settings"
    env.update(values)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 -- our own interpreter and manage.py
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _production_environment(tmp_path, **values: str) -> dict[str, str]:
    return _clean_environment(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="grove.example",
        DATABASE_URL=f"sqlite:///{tmp_path / 'grove.sqlite3'}",
        **values,
    )


def _email_backend(env: dict[str, str]) -> list[str]:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.EMAIL_BACKEND); "
        "print(getattr(settings, 'ANYMAIL', {}).get('BREVO_API_KEY', ''))"
    )
    result = _run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_check_deploy_passes_without_warnings_in_production(tmp_path):
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        _production_environment(tmp_path),
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "W0" not in output
    assert "System check identified no issues" in output


def test_mail_goes_through_brevo_when_its_key_is_set(tmp_path):
    env = _production_environment(tmp_path, BREVO_API_KEY="xkeysib-test-only-not-a-real-key")

    assert _email_backend(env) == [
        "anymail.backends.brevo.EmailBackend",
        "xkeysib-test-only-not-a-real-key",
    ]


def test_mail_goes_to_the_console_without_a_brevo_key(tmp_path):
    assert _email_backend(_production_environment(tmp_path)) == [
        "django.core.mail.backends.console.EmailBackend",
        "",
    ]


def test_env_example_documents_every_variable_settings_read():
    read = _variables_read_by_settings()
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    documented = {}
    for number, line in enumerate(lines):
        match = re.match(r"^(\w+)=", line)
        if match:
            documented[match.group(1)] = lines[number - 1] if number else ""

    assert len(read) >= 20, read  # the pattern still finds what settings.py reads
    assert {"SECRET_KEY", "DATABASE_URL", "BREVO_API_KEY", "DATABASE_TEST_NAME"} <= read
    missing = sorted(read - set(documented))
    assert not missing, f".env.example does not document {missing}"
    unknown = sorted(set(documented) - read)
    assert not unknown, f".env.example lists {unknown}, which grove/settings.py never reads"
    for name, previous_line in documented.items():
        assert previous_line.startswith("# "), f"{name} in .env.example has no comment above it"
