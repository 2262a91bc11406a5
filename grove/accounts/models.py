import uuid
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from grove.privacy.datamap import SYSTEM, Category, Retention
from grove.tenancy.managers import TenantManager
from grove.tenancy.models import JobType, Organization, TenantOwnedModel


class OrgRole(models.TextChoices):
    MEMBER = "member", _("Member")
    MANAGER = "manager", _("Manager")


class StaffRole(models.TextChoices):
    CSM = "csm", _("Customer success manager")
    TECHNICAL = "technical", _("Technical staff")
    SECURITY_OFFICER = "security_officer", _("Security officer")
    SECURITY_MANAGER = "security_manager", _("Security manager")


class UserManager(TenantManager, BaseUserManager["User"]):
    """Tenant-scoped like every tenant-owned manager; staff (no organization) only unscoped."""

    def normalize_email(self, email: str | None) -> str:  # type: ignore[override]
        return (email or "").strip().lower()

    def _create(self, email: str, password: str | None, **fields) -> "User":
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)  # None gives an unusable password (invitation pending)
        user.full_clean(exclude=["password"])
        user.save()
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        return self._create(email, password, **fields)


class User(TenantOwnedModel, AbstractBaseUser):
    """A person: a client's employee (with an organization) or operator staff (without).

    Only the personal fields the privacy policy lists: business email, names, country, job type.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("business email", unique=True)
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    country = CountryField(blank=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
        db_index=True,
    )
    job_type = models.ForeignKey(
        JobType, on_delete=models.PROTECT, related_name="users", null=True, blank=True
    )
    org_role = models.CharField(max_length=10, choices=OrgRole.choices, blank=True)
    staff_role = models.CharField(max_length=20, choices=StaffRole.choices, blank=True)
    is_active = models.BooleanField(default=True)
    # The interface language the person chose; empty: the browser's.
    language = models.CharField(
        max_length=5, choices=settings.LANGUAGES, blank=True, default="", db_default=""
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # When the person accepted the terms of use, activating their account from an invitation.
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    # When an identity provider deleted the account through SCIM (kept deactivated, not deleted).
    deprovisioned_at = models.DateTimeField(null=True, blank=True)
    # When the person was erased (GDPR Art. 17, grove/rights/erasure.py): the row stays, every
    # personal field anonymised, so that records about them keep a target that says nothing.
    erased_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    DATA_MAP = {
        "id": SYSTEM,
        "email": (Category.BUSINESS_EMAIL, Retention.UNTIL_ERASED),
        "first_name": (Category.NAME, Retention.UNTIL_ERASED),
        "last_name": (Category.NAME, Retention.UNTIL_ERASED),
        "country": (Category.COUNTRY, Retention.UNTIL_ERASED),
        "organization": SYSTEM,
        "job_type": (Category.JOB_TYPE, Retention.UNTIL_ERASED),
        "org_role": SYSTEM,
        "staff_role": SYSTEM,
        "is_active": SYSTEM,
        "language": (Category.ACCOUNT_SETTING, Retention.UNTIL_ERASED),
        "created_at": SYSTEM,
        "password": (Category.CREDENTIAL, Retention.UNTIL_ERASED),
        "last_login": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),
        "terms_accepted_at": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),
        "deprovisioned_at": SYSTEM,
        "erased_at": SYSTEM,
    }

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            # Either a client's employee with an organization role, or staff with a staff role.
            models.CheckConstraint(
                condition=(
                    models.Q(organization__isnull=False, staff_role="") & ~models.Q(org_role="")
                )
                | models.Q(organization__isnull=True, org_role="") & ~models.Q(staff_role=""),
                name="user_is_client_or_staff",
            ),
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")),
                name="user_email_lower_case",
            ),
        ]

    def __str__(self) -> str:
        return f"user {self.pk}"  # never a name or an email: str() ends up in logs

    def save(self, *args, **kwargs):
        # The login is the business email, compared in lower case everywhere.
        self.email = User.objects.normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_erased(self) -> bool:
        """Erased: shown as a former member wherever their name would appear."""
        return self.erased_at is not None

    @property
    def display_name(self) -> str:
        """The name others see: "Former member" once erased (never the blank left behind)."""
        if self.erased_at is not None:
            return gettext("Former member")
        return self.full_name

    @property
    def display_email(self) -> str:
        """The email others see: empty once erased (never the placeholder address)."""
        return "" if self.erased_at is not None else self.email

    @property
    def is_operator_staff(self) -> bool:
        return bool(self.staff_role)

    @property
    def is_manager(self) -> bool:
        return self.org_role == OrgRole.MANAGER

    @property
    def role_label(self) -> str:
        return self.staff_role or self.org_role

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name


class DeliveryStatus(models.TextChoices):
    NONE = "", _("Not reported")
    DELIVERED = "delivered", _("Delivered")
    DEFERRED = "deferred", _("Deferred")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Marked as spam")


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Not sent yet")
    SENT = "sent", _("Sent")
    OPENED = "opened", _("Opened")
    ACTIVATED = "activated", _("Activated")
    EXPIRED = "expired", pgettext_lazy("invitation", "Expired")
    REVOKED = "revoked", pgettext_lazy("invitation", "Revoked")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Marked as spam")


class Invitation(TenantOwnedModel):
    """An invitation mail's single-use, expiring activation link for one person.

    Only the SHA-256 of the link's token is stored: the token is made by the task that sends
    the mail, and lives nowhere but in that mail. At most one invitation per person is pending
    at a time (sending a new one revokes the previous).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=True
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    # Null until the mail is sent (the task makes the token); unique: the lookup of a link.
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The confirmation page was opened (by the person, or a mail scanner following the link).
    opened_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    delivery_status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, blank=True, default=""
    )
    # The mail provider's message id (anymail), to match its tracking events to this row.
    provider_message_id = models.CharField(max_length=255, blank=True, default="", db_index=True)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "user": (Category.PERSON_REFERENCE, Retention.UNTIL_ERASED),
        "token_hash": (Category.CREDENTIAL, Retention.UNTIL_ERASED),
        "created_by": (Category.PERSON_REFERENCE, Retention.UNTIL_ERASED),
        "created_at": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),
        "sent_at": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),
        "opened_at": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),
        "accepted_at": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),
        "expires_at": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),
        "revoked_at": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),
        "delivery_status": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),
        "provider_message_id": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),
    }

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="invitation_by_user")]

    def __str__(self) -> str:
        return f"invitation {self.pk}"

    def status_at(self, now) -> str:
        """The status shown to managers: the most telling fact first."""
        if self.accepted_at is not None:
            return InvitationStatus.ACTIVATED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.delivery_status == DeliveryStatus.BOUNCED:
            return InvitationStatus.BOUNCED
        if self.delivery_status == DeliveryStatus.COMPLAINED:
            return InvitationStatus.COMPLAINED
        if self.expires_at <= now:
            return InvitationStatus.EXPIRED
        if self.opened_at is not None:
            return InvitationStatus.OPENED
        if self.sent_at is not None:
            return InvitationStatus.SENT
        return InvitationStatus.PENDING

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    def is_usable_at(self, now) -> bool:
        """Whether the link may still activate the account (sent, not used, revoked, expired)."""
        return (
            self.token_hash is not None
            and self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > now
        )


class ThrottleScope(models.TextChoices):
    LOGIN = "login", "Failed password logins"
    PASSWORD_RESET = "password_reset", "Password-reset mails"


class LoginThrottle(models.Model):
    """How many failed logins (or reset requests) one login had in its current window.

    Keyed by a keyed hash of the normalized email, whether or not an account has it (no
    account-existence oracle); never the email, an IP address or a user agent. Not tenant-owned:
    login happens before any tenant is known. Rows live one window (minutes to an hour): an
    expired one is restarted or deleted when touched, and ``purge_expired_throttles``
    (grove/accounts/throttle.py) deletes the rest.
    """

    # salted_hmac(scope salt, email) in hex: the scope is part of the salt, so one email has
    # one row per scope.
    key_hash = models.CharField(max_length=64, primary_key=True)
    scope = models.CharField(max_length=16, choices=ThrottleScope.choices)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    # A pseudonymous link to a person, like the erasure ledger's email hash; rows last one
    # window (at most an hour), far shorter than the longest retention declared here.
    DATA_MAP = {
        "key_hash": (Category.PERSON_REFERENCE, Retention.UNTIL_ERASED),
        "scope": SYSTEM,
        "window_start": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),
        "count": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),
    }

    class Meta:
        indexes = [models.Index(fields=["scope", "window_start"], name="login_throttle_expiry")]

    def __str__(self) -> str:
        return f"{self.scope} throttle {self.key_hash[:8]}"
