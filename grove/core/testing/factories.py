"""Factories for tests and benchmarks. They write inside unscoped(): fixtures are set-up, not
requests, and a test then reads through the real scoped code paths."""

import datetime

import factory
from django.utils import timezone

from grove.accounts.models import OrgRole, StaffRole, User
from grove.tenancy.context import unscoped
from grove.tenancy.models import JobType, Organization

TEST_PASSWORD = "correct-horse-battery-staple"  # noqa: S105 -- tests only


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
    organization = factory.SubFactory(OrganizationFactory)
    org_role = OrgRole.MEMBER
    password = factory.django.Password(TEST_PASSWORD)


class StaffUserFactory(UserFactory):
    organization = None
    org_role = ""
    staff_role = StaffRole.CSM
    email = factory.Sequence(lambda n: f"staff{n}@grove.example")
