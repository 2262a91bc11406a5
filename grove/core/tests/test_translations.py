"""The French catalogue: complete, compiled, in step with the code, and served.

Pages are in the language of the profile, else the browser's (Accept-Language), else English.
The catalogue is grove/locale/fr/LC_MESSAGES/django.po, compiled to django.mo beside it (both
committed, so running Grove needs no gettext); docs/architecture.md says how to update them.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from grove.core.testing.factories import PracticeFactory, UserFactory
from grove.tenancy.context import tenant_context

LOCALE_DIR = Path(settings.BASE_DIR) / "grove" / "locale"
PO_PATH = LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
# Not sources: what makemessages is told to ignore (docs/architecture.md), and the catalogue.
NOT_SOURCES = (".venv", "var", "bench", "node_modules", ".git", "__pycache__", "locale")


def _catalogue() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def _key(entry: polib.POEntry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def _translated(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        return len(entry.msgstr_plural) == 2 and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


# --- The catalogue ---------------------------------------------------------------------------


def test_the_french_catalogue_has_no_untranslated_or_fuzzy_entry():
    po = _catalogue()
    active = [entry for entry in po if not entry.obsolete]

    assert len(active) > 500  # the whole interface, not a stub
    assert not po.metadata_is_fuzzy
    assert po.metadata["Language"] == "fr"
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n > 1);"
    assert [e.msgid for e in active if "fuzzy" in e.flags] == []
    assert [e.msgid for e in active if not _translated(e)] == []


def test_every_translation_keeps_the_placeholders_of_its_message():
    placeholder = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|</?\w+[^>]*>")
    mismatched = []
    for entry in _catalogue():
        if entry.obsolete:
            continue
        pairs = (
            [(entry.msgid, entry.msgstr_plural[0]), (entry.msgid_plural, entry.msgstr_plural[1])]
            if entry.msgid_plural
            else [(entry.msgid, entry.msgstr)]
        )
        for source, translation in pairs:
            if sorted(placeholder.findall(source)) != sorted(placeholder.findall(translation)):
                mismatched.append(source)

    assert mismatched == []


def test_the_compiled_catalogue_matches_the_po_file():
    """django.mo is what Django reads: it must hold exactly the .po's translations (a .po edited
    without running compilemessages fails here)."""
    with MO_PATH.open("rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)
    entries = [entry for entry in _catalogue() if not entry.obsolete]
    wrong = []
    for entry in entries:
        msgid = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            got = [compiled.ngettext(msgid, entry.msgid_plural, n) for n in (1, 2)]
            expected = [entry.msgstr_plural[0], entry.msgstr_plural[1]]
        else:
            got, expected = compiled.gettext(msgid), entry.msgstr
        if got != expected:
            wrong.append(entry.msgid)

    assert wrong == []
    # Nothing in the .mo that the .po no longer has (the header counts as one entry).
    assert len(compiled._catalog) == sum(2 if e.msgid_plural else 1 for e in entries) + 1


def test_every_marked_string_of_the_code_is_in_the_catalogue(tmp_path):
    """makemessages over a copy of the sources: no marked string may be missing from the
    committed catalogue (a new or changed message must be translated before it lands)."""
    if not shutil.which("xgettext") or not shutil.which("msgmerge"):
        if os.environ.get("CI") == "true":
            pytest.fail("GNU gettext is missing: .ci/run installs it (apt-get install gettext)")
        pytest.skip("GNU gettext (xgettext) is not installed")
    root = Path(settings.BASE_DIR)
    copy = tmp_path / "src"
    shutil.copytree(root / "grove", copy / "grove", ignore=shutil.ignore_patterns(*NOT_SOURCES))
    for module in root.glob("*.py"):  # manage.py, conftest.py: every source is in grove/
        shutil.copy2(module, copy / module.name)

    environment = {**os.environ, "PYTHONPATH": str(copy)}
    result = subprocess.run(  # noqa: S603 -- our own manage.py, fixed arguments
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-obsolete"],
        cwd=copy,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    extracted_po = copy / "grove" / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    assert extracted_po.exists(), "makemessages wrote its catalogue somewhere else"
    extracted = {_key(entry) for entry in polib.pofile(str(extracted_po))}
    committed = {_key(entry) for entry in _catalogue() if not entry.obsolete}

    assert len(extracted) > 500
    assert sorted(extracted - committed) == []


# --- Pages ---------------------------------------------------------------------------------


def _with_language(user, language: str):
    user.language = language
    with tenant_context(user.organization_id):  # row-level security on PostgreSQL
        user.save(update_fields=["language"])
    return user


@pytest.fixture
def french_alice(alice):
    return _with_language(alice, "fr")


def _html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_feed_is_in_french_for_a_member_who_chose_french(client, french_alice):
    client.force_login(french_alice)

    page = _html(client.get(reverse("practices:feed")))

    assert '<html lang="fr">' in page
    assert "Rechercher des pratiques" in page
    assert ">Fil<" in page
    assert "Mes pratiques" in page
    assert "Se déconnecter" in page
    assert "Search practices" not in page


def test_the_feed_is_in_french_for_a_french_browser(client, alice):
    client.force_login(alice)

    page = _html(client.get(reverse("practices:feed"), headers={"accept-language": "fr-FR,fr"}))

    assert '<html lang="fr">' in page
    assert "Rechercher des pratiques" in page


def test_the_profile_language_wins_over_the_browser(client, alice):
    _with_language(alice, "en")
    client.force_login(alice)

    page = _html(client.get(reverse("practices:feed"), headers={"accept-language": "fr"}))

    assert '<html lang="en">' in page
    assert "Search practices" in page


def test_the_login_page_is_in_french_for_a_french_browser(client, db):
    page = _html(client.get(reverse("accounts:login"), headers={"accept-language": "fr"}))

    assert '<html lang="fr">' in page
    assert "Se connecter" in page
    assert "E-mail professionnel" in page
    assert "Mot de passe oublié" in page


def test_pages_stay_in_english_without_a_language(client, db):
    page = _html(client.get(reverse("accounts:login")))

    assert '<html lang="en">' in page
    assert "Log in" in page
    assert "Se connecter" not in page


def test_the_notification_preferences_are_in_french(client, french_alice):
    client.force_login(french_alice)

    page = _html(client.get(reverse("notifications:preferences")))

    assert '<html lang="fr">' in page
    assert "Préférences de notification" in page
    assert "Récapitulatif des nouvelles pratiques par e-mail" in page
    assert "Hebdomadaire" in page
    assert "Enregistrer" in page


def test_the_notification_preferences_follow_a_french_browser(client, org_a):
    member = UserFactory(organization=org_a, language="")
    client.force_login(member)

    page = _html(
        client.get(reverse("notifications:preferences"), headers={"accept-language": "fr"})
    )

    assert '<html lang="fr">' in page
    assert "Préférences de notification" in page


def test_a_practice_page_shows_the_reactions_in_french(client, french_alice, bob):
    practice = PracticeFactory(
        organization=french_alice.organization, author=bob, title="Deux files le midi"
    )
    client.force_login(french_alice)

    page = _html(client.get(reverse("practices:detail", args=[practice.pk])))

    assert '<html lang="fr">' in page
    assert "Je l’ai adoptée" in page
    assert "Utile" in page
    assert "0 adoption" in page
    assert "I adopted it" not in page


# --- Mails ---------------------------------------------------------------------------------


def test_the_grant_mail_reaches_each_manager_in_their_own_language(
    tech, security_officer, bob, org_a, django_capture_on_commit_callbacks
):
    from django.core import mail

    from grove.accounts.models import OrgRole
    from grove.staff.actions import grant_approve, grant_request

    french_manager = UserFactory(organization=org_a, org_role=OrgRole.MANAGER, language="fr")
    grant = grant_request(
        actor=tech, organization=org_a, reason="Feed down", ticket_ref="INC-9", duration_minutes=60
    )

    with django_capture_on_commit_callbacks(execute=True):
        grant_approve(actor=security_officer, grant=grant)

    by_recipient = {message.to[0]: message for message in mail.outbox}
    french, english = by_recipient[french_manager.email], by_recipient[bob.email]
    assert french.subject == "Accès du personnel de Grove à Organization A approuvé"
    assert "Équipe technique" in french.body  # the requester's role, in French too
    assert "journal des accès" in french.body
    assert english.subject == "Grove staff access to Organization A approved"
    assert "Technical staff" in english.body
