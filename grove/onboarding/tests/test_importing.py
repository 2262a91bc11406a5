import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from grove.accounts.models import OrgRole, User
from grove.audit.models import AuditAction, AuditEvent
from grove.core.testing.factories import JobTypeFactory, UserFactory
from grove.onboarding.actions import import_commit, import_discard, import_preview
from grove.onboarding.importing import ImportOptions, ImportRefused
from grove.onboarding.models import ImportIssue, ImportStatus
from grove.onboarding.queries import issues_csv_lines, preview_lines
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import JobType

HEADER = "email,first name,last name,country,job type\n"


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def job(org_a):
    return JobTypeFactory(organization=org_a, name="Vendeur")


def upload(content, name="list.csv"):
    data = content if isinstance(content, bytes) else content.encode()
    return SimpleUploadedFile(name, data)


def xlsx(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def preview(org, content, actor=None, **options):
    return import_preview(
        actor=actor,
        organization=org,
        uploaded_file=upload(content),
        source="cli",
        options=ImportOptions(**options),
    )


def users_of(org):
    with tenant_context(org):
        return {u.email: u for u in User.objects.all()}


def issues(user_import):
    with tenant_context(user_import.organization_id):
        return [
            (i.line, i.field, i.code) for i in ImportIssue.objects.filter(user_import=user_import)
        ]


def events(action):
    with unscoped("test"):
        return list(AuditEvent.objects.filter(action=action).order_by("id"))


def refresh(obj):
    with unscoped("test"):
        obj.refresh_from_db()


# --- Reading ------------------------------------------------------------------------------


def test_utf8_comma_list_previews_without_writing_users(org_a, job):
    user_import = preview(
        org_a,
        HEADER + "dana@a.example,Dana,Durand,FR,Vendeur\neve@a.example,Ève,Éluard,France,\n",
    )
    assert user_import.status == ImportStatus.PREVIEWED
    assert (user_import.total_rows, user_import.created_count, user_import.error_count) == (2, 2, 0)
    assert user_import.file_format == "csv"
    assert users_of(org_a) == {}
    lines = preview_lines(user_import)
    assert [(p.line, p.outcome, p.email, p.country) for p in lines] == [
        (2, "create", "dana@a.example", "FR"),
        (3, "create", "eve@a.example", "FR"),
    ]
    (event,) = events(AuditAction.IMPORT_PREVIEWED)
    assert event.details["file_sha256"] == user_import.file_sha256
    assert event.details["rows"] == 2


@pytest.mark.parametrize(
    "encoded",
    [
        ("Email;Prénom;Nom;Pays;Métier\r\ndana@a.example;Zoé;Dürand;Allemagne;vendeur\r\n").encode(
            "utf-8-sig"
        ),
        ("Email;Prénom;Nom;Pays;Métier\r\ndana@a.example;Zoé;Dürand;Allemagne;vendeur\r\n").encode(
            "cp1252"
        ),
        (
            "E-mail,PRENOM,nom_de_famille,pays,fonction\ndana@a.example,Zoé,Dürand,allemagne,VENDEUR\n"
        ).encode(),
    ],
    ids=["utf8-bom-semicolon", "cp1252-semicolon", "utf8-french-headers"],
)
def test_encodings_delimiters_and_french_headers(org_a, job, encoded):
    user_import = preview(org_a, encoded)
    assert (user_import.total_rows, user_import.error_count) == (1, 0)
    import_commit(actor=None, user_import=user_import, valid_only=False, full_sync=False)
    dana = users_of(org_a)["dana@a.example"]
    assert (dana.first_name, dana.last_name, dana.country, dana.job_type_id) == (
        "Zoé",
        "Dürand",
        "DE",
        job.pk,
    )


def test_xlsx_list(org_a, job):
    content = xlsx(
        [
            ["Adresse e-mail", "Prénom", "Nom", "Pays", "Métier", "Téléphone"],
            ["dana@a.example", "Dana", "Durand", "Espagne", "Vendeur", "+33 6 12 34 56 78"],
            [None, None, None, None, None, None],
            ["eve@a.example", "Eve", "Evans", "GB", None, None],
        ]
    )
    user_import = import_preview(
        actor=None, organization=org_a, uploaded_file=upload(content, "l.xlsx"), source="cli"
    )
    assert user_import.file_format == "xlsx"
    assert user_import.dropped_columns == ["Téléphone"]
    assert (user_import.total_rows, user_import.created_count) == (2, 2)
    import_commit(actor=None, user_import=user_import, valid_only=False, full_sync=False)
    assert users_of(org_a)["dana@a.example"].country == "ES"


def test_a_missing_required_column_refuses_the_file(org_a):
    with pytest.raises(ImportRefused) as caught:
        preview(org_a, "email,first name,country\ndana@a.example,Dana,FR\n")
    assert caught.value.code == "missing_column"
    assert "last name" in caught.value.message
    with unscoped("test"):
        assert not ImportIssue.objects.exists()


def test_a_column_given_twice_refuses_the_file(org_a):
    with pytest.raises(ImportRefused) as caught:
        preview(org_a, "email,courriel,first name,last name\n")
    assert caught.value.code == "duplicate_column"


def test_too_big_and_too_many_rows_are_refused(org_a):
    rows = HEADER + "".join(f"p{i}@a.example,P,Q,FR,\n" for i in range(5))
    with pytest.raises(ImportRefused) as caught:
        preview(org_a, rows, max_bytes=100)
    assert caught.value.code == "too_big"
    with pytest.raises(ImportRefused) as caught:
        preview(org_a, rows, max_rows=4)
    assert caught.value.code == "too_many_rows"
    assert "4" in caught.value.message
    assert preview(org_a, rows, max_rows=5).total_rows == 5


def test_an_old_excel_file_is_refused(org_a):
    with pytest.raises(ImportRefused) as caught:
        preview(org_a, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert caught.value.code == "unsupported_format"


def test_malformed_rows_are_issues_on_their_line(org_a):
    content = (
        HEADER.encode()
        + b"dana@a.example,Dana,Durand,FR,\n"
        + b"too,few\n"
        + b'"broken,quote,x,FR,\n'
    )
    user_import = preview(org_a, content)
    assert (2, "", "malformed") not in issues(user_import)
    assert (3, "", "malformed") in issues(user_import)
    assert user_import.created_count == 1


def test_undecodable_bytes_in_a_utf8_list_are_an_issue_on_their_line(org_a):
    content = (
        HEADER.encode()
        + "zoe@a.example,Zoé,Zola,FR,\n".encode()
        + "eva@a.example,Éva,Élan,FR,\n".encode()
        + b"bad@a.example,B\xff,Bad,FR,\n"
    )
    user_import = preview(org_a, content)
    assert issues(user_import) == [(4, "", "undecodable")]
    assert user_import.created_count == 2


# --- Validation ---------------------------------------------------------------------------


def test_each_kind_of_error_is_reported_by_line_field_and_code(org_a, charlie, job):
    content = HEADER + (
        "ok@a.example,Ok,Fine,FR,Vendeur\n"
        "not-an-email,Bad,Email,FR,\n"
        "x@a.example,Xavier,X,Atlantis,\n"
        "y@a.example,Yann,Y,FR,Astronaut\n"
        "OK@a.example,Again,Twice,FR,\n"
        "charlie@b.example,Charlie,Chen,ES,\n"
    )
    user_import = preview(org_a, content)
    assert issues(user_import) == [
        (3, "email", "invalid_email"),
        (4, "country", "unknown_country"),
        (5, "job_type", "unknown_job_type"),
        (6, "email", "duplicate"),
        (7, "email", "other_organization"),
    ]
    assert (user_import.created_count, user_import.error_count) == (1, 5)


def test_unknown_job_types_can_be_created(org_a):
    content = HEADER + "y@a.example,Yann,Y,FR,Astronaut\nz@a.example,Zed,Z,FR,astronaut\n"
    user_import = preview(org_a, content, create_missing_job_types=True)
    assert user_import.error_count == 0
    import_commit(actor=None, user_import=user_import, valid_only=False, full_sync=False)
    with tenant_context(org_a):
        (astronaut,) = JobType.objects.filter(name__iexact="astronaut")
    assert {u.job_type_id for u in users_of(org_a).values()} == {astronaut.pk}


# --- Commit -------------------------------------------------------------------------------


def test_commit_is_all_or_nothing_unless_valid_only(org_a, bob):
    content = HEADER + "ok@a.example,Ok,Fine,FR,\nbad,Bad,Email,FR,\n"
    user_import = preview(org_a, content, actor=bob)
    import_commit(actor=bob, user_import=user_import, valid_only=False, full_sync=False)
    refresh(user_import)
    assert user_import.status == ImportStatus.REJECTED
    assert "ok@a.example" not in users_of(org_a)
    assert issues(user_import) == [(3, "email", "invalid_email")]
    assert events(AuditAction.USER_CREATED) == []
    (rejected,) = events(AuditAction.IMPORT_REJECTED)
    assert rejected.details["errors"] == 1
    # The page then offers the valid rows only.
    import_commit(actor=bob, user_import=user_import, valid_only=True, full_sync=False)
    refresh(user_import)
    assert user_import.status == ImportStatus.DONE
    assert (user_import.created_count, user_import.error_count) == (1, 1)
    ok = users_of(org_a)["ok@a.example"]
    assert ok.org_role == OrgRole.MEMBER
    assert not ok.has_usable_password()
    (created,) = events(AuditAction.USER_CREATED)
    assert created.object_ids == [str(ok.pk)]
    assert created.actor_id == bob.pk
    (done,) = events(AuditAction.IMPORT_COMMITTED)
    assert done.details["created"] == 1
    assert done.details["file_sha256"] == user_import.file_sha256
    assert not user_import.normalised_file  # the list is not kept once imported


def test_reimport_is_idempotent_and_rectifications_are_recorded(org_a, alice, job):
    content = HEADER + "alice@a.example,Alice,Anders,FR,Store staff\nnew@a.example,New,One,FR,\n"
    first = preview(org_a, content)
    assert (first.created_count, first.unchanged_count) == (1, 1)
    import_commit(actor=None, user_import=first, valid_only=False, full_sync=False)
    again = preview(org_a, content)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    import_commit(actor=None, user_import=again, valid_only=False, full_sync=False)
    assert len(events(AuditAction.USER_CREATED)) == 1
    assert events(AuditAction.USER_CHANGED) == []

    changed = HEADER + "alice@a.example,Alicia,Anders,DE,vendeur\nnew@a.example,New,One,FR,\n"
    third = preview(org_a, changed)
    assert (third.updated_count, third.unchanged_count) == (1, 1)
    import_commit(actor=None, user_import=third, valid_only=False, full_sync=False)
    refresh(alice)
    assert (alice.first_name, alice.country, alice.job_type_id) == ("Alicia", "DE", job.pk)
    (event,) = events(AuditAction.USER_CHANGED)
    assert event.object_ids == [str(alice.pk)]
    assert event.details["fields"] == ["country", "first_name", "job_type"]
    assert "Alicia" not in str(event.details)


def test_full_sync_deactivates_absent_members_but_never_managers_or_deletes(org_a, alice, bob):
    gone = UserFactory(organization=org_a, email="gone@a.example")
    inactive = UserFactory(organization=org_a, email="back@a.example", is_active=False)
    content = HEADER + "alice@a.example,Alice,Anders,FR,\nback@a.example,Back,Again,FR,\n"
    user_import = preview(org_a, content, full_sync=True)
    assert user_import.deactivated_count == 1  # the projection: gone@
    import_commit(actor=None, user_import=user_import, valid_only=False, full_sync=True)
    people = users_of(org_a)
    assert not people["gone@a.example"].is_active
    assert people["bob@a.example"].is_active  # a manager
    assert people["back@a.example"].is_active  # on the list again
    assert people["alice@a.example"].is_active
    (deactivated,) = events(AuditAction.USER_DEACTIVATED)
    assert deactivated.object_ids == [str(gone.pk)]
    (reactivated,) = events(AuditAction.USER_REACTIVATED)
    assert reactivated.object_ids == [str(inactive.pk)]
    refresh(user_import)
    assert user_import.deactivated_count == 1


def test_full_sync_keeps_members_whose_line_has_an_error(org_a, alice):
    content = HEADER + "alice@a.example,Alice,Anders,Atlantis,\nn@a.example,N,N,FR,\n"
    user_import = preview(org_a, content, full_sync=True)
    import_commit(actor=None, user_import=user_import, valid_only=True, full_sync=True)
    assert users_of(org_a)["alice@a.example"].is_active


def test_commit_checks_the_accounts_again(org_a):
    user_import = preview(org_a, HEADER + "late@a.example,Late,Comer,FR,\n")
    UserFactory(email="late@a.example")  # another organization, after the preview
    import_commit(actor=None, user_import=user_import, valid_only=False, full_sync=False)
    refresh(user_import)
    assert user_import.status == ImportStatus.REJECTED
    assert issues(user_import) == [(2, "email", "other_organization")]


def test_only_managers_and_serving_csms_may_import(org_a, alice, charlie, csm):
    with pytest.raises(PermissionDenied):
        preview(org_a, HEADER, actor=alice)
    with pytest.raises(PermissionDenied):
        preview(org_a, HEADER, actor=charlie)
    with pytest.raises(PermissionDenied):
        preview(org_a, HEADER, actor=csm)  # no assignment to A


def test_discard_deletes_the_kept_list(org_a, storage, django_capture_on_commit_callbacks):
    user_import = preview(org_a, HEADER + "d@a.example,D,D,FR,\n")
    path = storage / user_import.normalised_file.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        import_discard(actor=None, user_import=user_import)
    assert not path.exists()
    assert user_import.status == ImportStatus.DISCARDED
    assert preview_lines(user_import) == []


def test_issue_export_holds_codes_and_reasons_never_values(org_a):
    user_import = preview(org_a, HEADER + "=cmd|' /C calc'!A0,D,D,FR,\n")
    lines = list(issues_csv_lines(user_import))
    assert lines == [
        "line,column,code,reason\r\n",
        "2,email,invalid_email,This is not a valid email address.\r\n",
    ]


def test_progress_is_reported_by_batch(org_a, monkeypatch):
    from grove.onboarding import importing

    monkeypatch.setattr(importing, "BATCH_SIZE", 2)
    content = HEADER + "".join(f"p{i}@a.example,P,Q,FR,\n" for i in range(5))
    user_import = preview(org_a, content)
    seen = []
    import_commit(
        actor=None, user_import=user_import, valid_only=False, full_sync=False, progress=seen.append
    )
    assert seen == [2, 2, 1]
    assert len(users_of(org_a)) == 5


def test_names_with_backslashes_and_quotes_are_stored_as_given(org_a):
    content = HEADER + 'd@a.example,"D\\\\N ""Dee""",O\\Brien\\t,FR,\n'
    user_import = preview(org_a, content)
    import_commit(actor=None, user_import=user_import, valid_only=False, full_sync=False)
    dee = users_of(org_a)["d@a.example"]
    assert (dee.first_name, dee.last_name) == ('D\\\\N "Dee"', "O\\Brien\\t")
    assert dee.job_type_id is None


def test_an_account_created_in_the_organization_since_the_preview_is_updated(org_a):
    user_import = preview(org_a, HEADER + "late@a.example,Late,Comer,FR,\nn@a.example,N,N,FR,\n")
    assert user_import.created_count == 2
    late = UserFactory(organization=org_a, email="late@a.example", first_name="Early")
    import_commit(actor=None, user_import=user_import, valid_only=False, full_sync=False)
    refresh(user_import)
    assert (user_import.status, user_import.created_count) == (ImportStatus.DONE, 1)
    assert user_import.updated_count == 1
    refresh(late)
    assert late.first_name == "Late"


def test_a_list_without_country_or_job_type_columns_leaves_them_as_they_are(org_a, alice):
    user_import = preview(org_a, "email,first name,last name\nalice@a.example,Alicia,Anders\n")
    assert user_import.updated_count == 1
    import_commit(actor=None, user_import=user_import, valid_only=False, full_sync=False)
    job_type_id = alice.job_type_id
    refresh(alice)
    assert (alice.first_name, alice.country, alice.job_type_id) == ("Alicia", "FR", job_type_id)
    (event,) = events(AuditAction.USER_CHANGED)
    assert event.details["fields"] == ["first_name"]
    # An empty cell in a column the list has clears the attribute.
    cleared = preview(org_a, HEADER + "alice@a.example,Alicia,Anders,,\n")
    import_commit(actor=None, user_import=cleared, valid_only=False, full_sync=False)
    refresh(alice)
    assert (alice.country, alice.job_type_id) == ("", None)


def test_a_job_type_deleted_since_the_preview_is_an_error_at_commit(org_a, job):
    content = HEADER + "new@a.example,New,One,FR,Vendeur\n"
    user_import = preview(org_a, content)
    assert user_import.created_count == 1
    with tenant_context(org_a):
        job.delete()
    import_commit(actor=None, user_import=user_import, valid_only=False, full_sync=False)
    refresh(user_import)
    assert user_import.status == ImportStatus.REJECTED
    assert issues(user_import) == [(2, "job_type", "unknown_job_type")]
    assert "new@a.example" not in users_of(org_a)


def test_a_job_type_created_by_one_batch_serves_the_next_ones(org_a, monkeypatch):
    from grove.onboarding import importing

    monkeypatch.setattr(importing, "BATCH_SIZE", 2)
    content = HEADER + "".join(f"p{i}@a.example,P,Q,FR,Astronaut\n" for i in range(5))
    user_import = preview(org_a, content, create_missing_job_types=True)
    import_commit(actor=None, user_import=user_import, valid_only=False, full_sync=False)
    with tenant_context(org_a):
        (astronaut,) = JobType.objects.filter(name="Astronaut")
    people = users_of(org_a)
    assert {people[f"p{i}@a.example"].job_type_id for i in range(5)} == {astronaut.pk}
    created = events(AuditAction.USER_CREATED)
    assert sorted(i for event in created for i in event.object_ids) == sorted(
        str(people[f"p{i}@a.example"].pk) for i in range(5)
    )


def test_lines_taken_since_the_preview_are_classified_among_new_ones(org_a, monkeypatch):
    from grove.onboarding import importing

    monkeypatch.setattr(importing, "BATCH_SIZE", 3)
    content = HEADER + "".join(f"p{i}@a.example,P,Q,FR,\n" for i in range(6))
    user_import = preview(org_a, content)
    assert user_import.created_count == 6
    mine = UserFactory(organization=org_a, email="p1@a.example", first_name="Early")
    UserFactory(email="p4@a.example")  # another organization
    import_commit(actor=None, user_import=user_import, valid_only=True, full_sync=False)
    refresh(user_import)
    assert (user_import.created_count, user_import.updated_count) == (4, 1)
    assert issues(user_import) == [(6, "email", "other_organization")]
    refresh(mine)
    assert mine.first_name == "P"
    assert set(users_of(org_a)) >= {f"p{i}@a.example" for i in (0, 1, 2, 3, 5)}
    assert "p4@a.example" not in users_of(org_a)


def test_the_kept_list_is_read_back_whole_across_chunks(org_a):
    from grove.onboarding.importing import _stored_lines

    text = 'line,outcome\r\n2,"a\r\nb"\r\n3,é\r\n4,x'
    for size in (1, 2, 3, 5, 7, 1024):
        lines = list(_stored_lines(io.BytesIO(text.encode()), chunk_size=size))
        assert "".join(lines) == text
        assert lines == ["line,outcome\r\n", '2,"a\r\n', 'b"\r\n', "3,é\r\n", "4,x"]


def test_new_people_get_their_own_version_4_ids_and_unusable_passwords(org_a, monkeypatch):
    import uuid

    from grove.onboarding import importing

    monkeypatch.setattr(importing, "BATCH_SIZE", 2)
    content = HEADER + "".join(f"p{i}@a.example,P,Q,FR,\n" for i in range(5))
    content += 'back@a.example,"B\\\\",S,,\n'  # a backslash: escaped for COPY
    user_import = preview(org_a, content)
    import_commit(actor=None, user_import=user_import, valid_only=False, full_sync=False)
    people = list(users_of(org_a).values())
    new = [p for p in people if p.email.startswith(("p", "back"))]
    assert len(new) == 6
    for person in new:
        pk = uuid.UUID(str(person.pk))
        assert (pk.version, pk.variant) == (4, uuid.RFC_4122)
        assert person.password.startswith("!") and len(person.password) == 41
        assert not person.has_usable_password()
    assert len({p.password for p in new}) == 6
    assert users_of(org_a)["back@a.example"].first_name == "B\\\\"
    created = events(AuditAction.USER_CREATED)
    assert sorted(i for event in created for i in event.object_ids) == sorted(
        str(p.pk) for p in new
    )


def test_only_the_people_inserted_are_in_the_created_events(org_a, monkeypatch):
    from grove.onboarding import importing

    monkeypatch.setattr(importing, "BATCH_SIZE", 4)
    content = HEADER + "".join(f"p{i}@a.example,P,Q,FR,\n" for i in range(6))
    user_import = preview(org_a, content)
    UserFactory(organization=org_a, email="p1@a.example")
    UserFactory(email="p2@a.example")  # another organization
    import_commit(actor=None, user_import=user_import, valid_only=True, full_sync=False)
    people = users_of(org_a)
    created = events(AuditAction.USER_CREATED)
    assert sorted(i for event in created for i in event.object_ids) == sorted(
        str(people[f"p{i}@a.example"].pk) for i in (0, 3, 4, 5)
    )
