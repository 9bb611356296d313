"""Member accounts: one account per e-mail address, compared case-insensitively."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from membership_site.model_loading import FastFromDb


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def _default_time_zone() -> str:
    return settings.TIME_ZONE


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str) -> User:
        return self.get(email__iexact=username)

    def _create_user(self, email: str, password: str | None, **extra_fields) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).strip(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> User:
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(FastFromDb, AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=_default_time_zone,
        validators=[validate_time_zone],
        help_text=_("Lessons open at midnight in this time zone."),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    lesson_notifications = models.BooleanField(_("e-mail me when a new lesson opens"), default=True)
    session_generation = models.PositiveIntegerField(
        _("session generation"),
        default=0,
        editable=False,
        help_text=_("Raised to log the member out of every other session."),
    )
    login_link_generation = models.PositiveIntegerField(
        _("login link generation"),
        default=0,
        editable=False,
        help_text=_("Raised with every new login link, so only the newest link works."),
    )
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email

    def _get_session_auth_hash(self, secret=None) -> str:
        """Sessions hold this hash: it changes with the password and with ``session_generation``.

        Raising the generation ends every session but the one that is re-hashed at once.
        """
        key_salt = "members.User.get_session_auth_hash"
        return salted_hmac(
            key_salt,
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)


class AccessGrant(FastFromDb, models.Model):
    """A member's access to one product. One row per (member, product), reused on repurchase.

    Whether the member gets in *now* is computed from this row and the clock (see the access
    service), so a late worker never locks out a paying member and a missed webhook never keeps
    access open past ``paid_through`` plus the grace period.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        ACTIVE = "active", _("active")
        GRACE = "grace", _("grace")
        EXPIRED = "expired", _("expired")
        REVOKED = "revoked", _("revoked")

    class Source(models.TextChoices):
        STRIPE = "stripe", _("Stripe")
        DIGISTORE24 = "digistore24", _("Digistore24")
        ADMIN = "admin", _("admin")
        FREE = "free", _("free")
        COMPLIMENTARY = "complimentary", _("complimentary")

    # The tier grant a derived grant comes from (``magazine.access.derived_grant`` sets it); None
    # on every stored grant. A class default, so reading it raises and catches nothing.
    included_by: AccessGrant | None = None

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grants"
    )
    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="grants")
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    order = models.ForeignKey(
        "billing.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="grants",
        help_text=_("The order that last granted or extended this access."),
    )
    starts_at = models.DateTimeField(_("access since"), help_text=_("The drip clock starts here."))
    paid_through = models.DateTimeField(
        _("paid through"), null=True, blank=True, help_text=_("Empty: lifetime access.")
    )
    withheld_until = models.DateTimeField(
        _("access opens at"),
        null=True,
        blank=True,
        help_text=_(
            "Set when the order has no waiver of the withdrawal right: the product stays pending "
            "until the 14-day withdrawal period is over."
        ),
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=200, blank=True)
    ended_unpaid = models.BooleanField(
        _("ended for want of payment"),
        default=False,
        help_text=_("Expired after a missed payment (the member can fix billing), not cancelled."),
    )
    first_used_at = models.DateTimeField(_("first used"), null=True, blank=True)
    activation_missed_at = models.DateTimeField(
        _("activation window missed"),
        null=True,
        blank=True,
        help_text=_("Set when the product's activation window passed without any use."),
    )
    is_test = models.BooleanField(_("test mode"), default=False)
    # The pause ledger (``GrantPause``) summed on the row, so pages need no extra query:
    # while paused nothing new opens; the drip clock runs ``paused_total`` behind.
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_total = models.DurationField(_("time paused before"), default=timedelta(0))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        constraints = [
            models.UniqueConstraint(fields=["member", "product"], name="grant_once_per_product"),
        ]
        indexes = [models.Index(fields=["state", "paid_through"], name="grant_state_paid_idx")]

    def __str__(self) -> str:
        return f"{self.member} → {self.product} ({self.state})"


class AppendOnlyError(Exception):
    """An audit row was about to be changed or deleted; audit rows are written once."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model._meta.verbose_name} rows cannot be changed.")

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.verbose_name} rows cannot be deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError(f"{self.model._meta.verbose_name} rows cannot be changed.")


def audit_actor_field(help_text=None) -> models.ForeignKey:
    """The acting admin of an audit row: kept when the account is deactivated, never deleted."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=help_text or _("The admin who made the change, if any."),
    )


class AppendOnlyModel(models.Model):
    """Rows are inserted once: every later save or delete raises (on every database; on
    PostgreSQL a trigger also refuses UPDATE and DELETE from raw SQL and other clients).

    Nothing may delete what an audit row points at either: its foreign keys PROTECT, so a
    grant, an acting staff account or a provider event with audit rows is kept (deactivate a
    staff account rather than deleting it; erasing a member anonymises, it does not delete).
    """

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.verbose_name} {self.pk} cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.verbose_name} {self.pk} cannot be deleted.")


class GrantEvent(AppendOnlyModel):
    """The audit trail of an access grant: what changed, why, and who or which event did it.
    Append-only (see ``AppendOnlyModel``)."""

    class Kind(models.TextChoices):
        GRANTED = "granted", _("granted")
        EXTENDED = "extended", _("extended")
        REACTIVATED = "reactivated", _("reactivated")
        GRACE = "grace", _("grace period started")
        RESTORED = "restored", _("restored from grace")
        CANCEL_SCHEDULED = "cancel_scheduled", _("cancellation scheduled")
        EXPIRED = "expired", _("expired")
        REVOKED = "revoked", _("revoked")
        FIRST_USE = "first_use", _("first used")
        ACTIVATION_MISSED = "activation_missed", _("activation window missed")
        NOTE = "note", _("note")
        SWAPPED = "swapped", _("swapped for another product")
        PLAN_CHANGED = "plan_changed", _("plan changed")
        PAUSED = "paused", _("paused")
        RESUMED = "resumed", _("resumed")

    grant = models.ForeignKey(AccessGrant, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("at"))
    actor = audit_actor_field()
    source_event = models.ForeignKey(
        "billing.ProviderEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grant_events",
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        # Rows are written under the grant's row lock, so pk is the order the changes happened
        # in; ``at`` is each task's clock, read before it waited for the lock.
        ordering = ["pk"]
        verbose_name = _("grant event")
        verbose_name_plural = _("grant events")

    def __str__(self) -> str:
        return f"{self.grant_id} {self.kind} at {self.at:%Y-%m-%d %H:%M}"


class LessonProgress(FastFromDb, models.Model):
    """One member's progress in one lesson: when they last opened it and when they completed it.

    A row also proves that the lesson was open for the member, which keeps it open when the
    creator later moves its drip offset (see ``members.access``).
    """

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey("products.Lesson", on_delete=models.CASCADE, related_name="progress")
    first_viewed_at = models.DateTimeField(_("first viewed"))
    last_viewed_at = models.DateTimeField(_("last viewed"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = [
            models.UniqueConstraint(fields=["member", "lesson"], name="progress_once_per_lesson"),
        ]
        indexes = [
            models.Index(fields=["member", "-last_viewed_at"], name="progress_member_recent_idx")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} · {self.lesson_id}"


class DownloadUse(models.Model):
    """How often a member fetched one download, and when first and last (support evidence)."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="download_uses"
    )
    download = models.ForeignKey("products.Download", on_delete=models.CASCADE, related_name="uses")
    count = models.PositiveIntegerField(_("downloads"), default=0)
    first_at = models.DateTimeField(_("first downloaded"))
    last_at = models.DateTimeField(_("last downloaded"))
    last_ip = models.GenericIPAddressField(
        _("last IP address"),
        null=True,
        blank=True,
        help_text=_("The address of the last download (support evidence); empty before 2026-12."),
    )

    class Meta:
        verbose_name = _("download use")
        verbose_name_plural = _("download uses")
        constraints = [
            models.UniqueConstraint(fields=["member", "download"], name="download_use_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} · {self.download_id}: {self.count}"


class StoreCreditEntry(AppendOnlyModel):
    """One line of a member's store-credit ledger: a credit, a use or an expiry.

    Amounts are positive minor units; ``balance_after`` is the running balance, which can never
    be negative. A balance holds one currency at a time. Entries are written under the member's
    row lock and never changed; ``key`` makes a repeated entry (same action, same reason, or the
    same order) land once.
    """

    class Kind(models.TextChoices):
        CREDIT = "credit", _("credit")
        USE = "use", _("use")
        EXPIRE = "expire", _("expiry")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credit_entries"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.PositiveIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    balance_after = models.PositiveIntegerField(_("balance after (minor units)"))
    at = models.DateTimeField(_("at"))
    actor = audit_actor_field()
    order = models.ForeignKey(
        "billing.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500)
    key = models.CharField(_("idempotency key"), max_length=200)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("store credit entry")
        verbose_name_plural = _("store credit entries")
        constraints = [
            models.UniqueConstraint(fields=["member", "key"], name="credit_entry_once"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="credit_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(balance_after__gte=0), name="credit_balance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} {self.amount} {self.currency}"


class MemberEvent(AppendOnlyModel):
    """Audit rows of support actions on a member that touch no grant (e-mails sent again)."""

    class Kind(models.TextChoices):
        LOGIN_LINK_SENT = "login_link_sent", _("login link sent")
        WELCOME_RESENT = "welcome_resent", _("welcome e-mail sent again")
        INVOICE_RESENT = "invoice_resent", _("invoice or credit note sent again")
        UPGRADE_OFFERED = "upgrade_offered", _("upgrade offered against a surcharge")
        REFUND_REQUESTED = "refund_requested", _("refund requested at Stripe")
        DATA_EXPORTED = "data_exported", _("personal data exported")
        ERASURE_REQUESTED = "erasure_requested", _("account deletion requested")
        ERASED = "erased", _("personal data erased")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="member_events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("at"))
    actor = audit_actor_field()
    reason = models.CharField(_("reason"), max_length=500)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("member event")
        verbose_name_plural = _("member events")

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} at {self.at:%Y-%m-%d %H:%M}"


class UpgradeOffer(models.Model):
    """An offer to a member to move from one product to a dearer one for the difference.

    Made by support (``members.upgrade.offer_upgrade``); the member pays it through a Stripe
    Checkout that carries ``token`` in its metadata, and the paid webhook swaps the products
    once (``members.upgrade.complete_upgrade``).
    """

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for payment")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")

    token = models.CharField(_("token"), max_length=64, unique=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="upgrade_offers"
    )
    from_product = models.ForeignKey(
        "products.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    to_product = models.ForeignKey(
        "products.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("to")
    )
    amount = models.PositiveIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=500)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    order = models.ForeignKey(
        "billing.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("upgrade offer")
        verbose_name_plural = _("upgrade offers")
        constraints = [
            # One open offer per member and pair: a second request returns the first.
            models.UniqueConstraint(
                fields=["member", "from_product", "to_product"],
                condition=models.Q(state="pending"),
                name="one_open_upgrade_offer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_product_id} → {self.to_product_id} ({self.state})"


# The pause ledger lives in its own module; imported here so Django finds it.
from members.pause_models import GrantPause  # noqa: E402, F401
