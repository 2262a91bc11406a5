"""Factories for tests and benchmarks. They write inside unscoped(): fixtures are set-up, not
requests, and a test then reads through the real scoped code paths."""

import datetime
import html

import factory
from django.utils import timezone

from grove.accounts.models import OrgRole, StaffRole, User
from grove.tenancy.context import unscoped
from grove.tenancy.models import JobType, Organization

TEST_PASSWORD = "correct-horse-battery-staple"  # noqa: S105 -- tests only
# A stored hash no password matches: no hashing cost for people who never log in.
UNUSABLE_PASSWORD = "!"  # noqa: S105


class UnscopedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with unscoped("test factory"):
            return super()._create(model_class, *args, **kwargs)


class OrganizationFactory(UnscopedFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Client {n}")
    slug = factory.Sequence(lambda n: f"client-{n}")
    contract_start = factory.LazyFunction(
        lambda: timezone.now().date() - datetime.timedelta(days=30)
    )
    contract_end = factory.LazyFunction(
        lambda: timezone.now().date() + datetime.timedelta(days=365)
    )
    data_region = "eu-west"


class JobTypeFactory(UnscopedFactory):
    class Meta:
        model = JobType

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Job {n}")


class UserFactory(UnscopedFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@client.example")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    country = "FR"
    # StaffUserFactory overrides these with None and "".
    organization: factory.SubFactory | None = factory.SubFactory(OrganizationFactory)
    org_role: str = OrgRole.MEMBER
    password = factory.django.Password(TEST_PASSWORD)


class StaffUserFactory(UserFactory):
    organization = None
    org_role = ""
    staff_role = StaffRole.CSM
    email = factory.Sequence(lambda n: f"staff{n}@grove.example")


# --- Practices ----------------------------------------------------------------------------------


class TopicFactory(UnscopedFactory):
    class Meta:
        model = "practices.Topic"

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Topic {n}")


class PracticeFactory(UnscopedFactory):
    """A published practice by a member of its organization (``status="draft"`` for a draft).

    ``tags=["a", "b"]`` and ``target_job_types=[job]`` are accepted after creation;
    ``target_countries=["FR"]`` is a plain field.
    """

    class Meta:
        model = "practices.Practice"
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    # No password hash per practice: hashing would slow every test down.
    author = factory.SubFactory(
        UserFactory,
        organization=factory.SelfAttribute("..organization"),
        password=UNUSABLE_PASSWORD,
    )
    topic = factory.SubFactory(TopicFactory, organization=factory.SelfAttribute("..organization"))
    title = factory.Sequence(lambda n: f"Practice number {n}")
    body = factory.Sequence(lambda n: f"How we do thing {n} in our stores.")
    body_html = factory.LazyAttribute(lambda o: f"<p>{html.escape(o.body)}</p>")
    language = "en"
    status = "published"
    published_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status in ("published", "archived") else None
    )

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        from grove.practices.models import PracticeTag, Tag

        with unscoped("test factory"):
            for name in extracted:
                tag, _ = Tag.objects.get_or_create(
                    organization_id=self.organization_id, name=name.strip().lower()
                )
                PracticeTag.objects.get_or_create(
                    organization_id=self.organization_id, practice=self, tag=tag
                )

    @factory.post_generation
    def target_job_types(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        from grove.practices.models import PracticeJobTypeTarget

        with unscoped("test factory"):
            for job_type in extracted:
                PracticeJobTypeTarget.objects.create(
                    organization_id=self.organization_id, practice=self, job_type=job_type
                )

    @factory.post_generation
    def search_index(self, create, extracted, **kwargs):
        # PostgreSQL: fill search_vector as the actions do (a no-op elsewhere).
        if not create:
            return
        try:
            from grove.practices.search import update_search_vector
        except ImportError:
            return
        with unscoped("test factory"):
            update_search_vector(self)


class CommentFactory(UnscopedFactory):
    class Meta:
        model = "practices.Comment"

    practice = factory.SubFactory(PracticeFactory)
    organization = factory.SelfAttribute("practice.organization")
    author = factory.SubFactory(
        UserFactory,
        organization=factory.SelfAttribute("..practice.organization"),
        password=UNUSABLE_PASSWORD,
    )
    parent = None
    body = factory.Sequence(lambda n: f"Comment {n}")


class ReactionFactory(UnscopedFactory):
    """A reaction row (counters untouched: call the action to move them)."""

    class Meta:
        model = "practices.Reaction"

    practice = factory.SubFactory(PracticeFactory)
    organization = factory.SelfAttribute("practice.organization")
    user = factory.SubFactory(
        UserFactory,
        organization=factory.SelfAttribute("..practice.organization"),
        password=UNUSABLE_PASSWORD,
    )
    kind = "useful"
