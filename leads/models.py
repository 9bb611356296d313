"""Lead magnets: a free product claimed with an e-mail address and a double opt-in.

A visitor's sign-up (``SignUp``) is only a request: no account, no access. The link in the
confirmation e-mail turns it into a member with the product, and writes the ``Consent`` that was
given, with the text as it was shown, which a later edit of the creator's text never changes.
"""

from __future__ import annotations

import hashlib

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from members.models import AppendOnlyModel


def consent_version(text: str) -> str:
    """The version of a consent text: its SHA-256 (same text, same version, in any language)."""
    return hashlib.sha256(text.encode()).hexdigest()


class LeadMagnet(models.Model):
    """A creator's settings for sign-ups to one product (optional: without a row the defaults
    apply). Keyed by product, whatever its kind, so a membership's free tier can use it too."""

    product = models.OneToOneField(
        "products.Product",
        on_delete=models.CASCADE,
        related_name="lead_magnet",
        verbose_name=_("product"),
    )
    consent_text = models.TextField(
        _("consent text"),
        blank=True,
        max_length=1000,
        help_text=_(
            "The text of the checkbox a visitor ticks to sign up (plain text). Empty: a standard "
            "text in the visitor's language. Each consent keeps the text the visitor saw, so an "
            "edit here changes only future sign-ups."
        ),
    )

    class Meta:
        verbose_name = _("lead magnet setting")
        verbose_name_plural = _("lead magnet settings")

    def __str__(self) -> str:
        return str(self.product)


class SignUp(models.Model):
    """A visitor asked for a free product; confirmed once the link in the e-mail is used.

    One pending row per address and product: a repeat sign-up refreshes it (and sends a new
    link at most every ``RESEND_INTERVAL``). Pending rows older than seven days are deleted.
    """

    product = models.ForeignKey(
        "products.Product",
        on_delete=models.CASCADE,
        related_name="signups",
        verbose_name=_("product"),
    )
    email = models.EmailField(_("e-mail address"), max_length=254)
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    consent_text = models.TextField(_("consent text shown"))
    consent_version = models.CharField(_("consent version"), max_length=64)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("signed up"))
    requested_at = models.DateTimeField(
        _("last requested"), help_text=_("The latest sign-up for this address and product.")
    )
    last_sent_at = models.DateTimeField(_("last link sent"), null=True, blank=True)
    links_sent = models.PositiveIntegerField(_("links sent"), default=0)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    member = models.ForeignKey(
        "members.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="signups",
        verbose_name=_("member"),
    )

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "product",
                condition=models.Q(confirmed_at__isnull=True),
                name="one_pending_signup_per_address",
            ),
        ]
        indexes = [
            models.Index(
                fields=["requested_at"],
                name="signup_pending_requested_idx",
                condition=models.Q(confirmed_at__isnull=True),
            ),
            models.Index(fields=["product", "confirmed_at"], name="signup_product_confirmed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.product_id}"


class SignUpTally(models.Model):
    """Sign-ups and confirmations per product and day (in the site's time zone), no personal
    data: pending sign-ups are deleted after seven days, these counts stay for the funnel."""

    product = models.ForeignKey(
        "products.Product", on_delete=models.CASCADE, related_name="+", verbose_name=_("product")
    )
    day = models.DateField(_("day"))
    signups = models.PositiveIntegerField(_("sign-ups"), default=0)
    confirmations = models.PositiveIntegerField(_("confirmations"), default=0)

    class Meta:
        verbose_name = _("sign-up count")
        verbose_name_plural = _("sign-up counts")
        constraints = [
            models.UniqueConstraint(fields=["product", "day"], name="signup_tally_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.day}: {self.signups}/{self.confirmations}"


class Consent(AppendOnlyModel):
    """A confirmed consent: the text as shown, when and from where it was given and confirmed.
    Append-only (see ``AppendOnlyModel``); one per confirmed sign-up."""

    member = models.ForeignKey(
        "members.User", on_delete=models.PROTECT, related_name="consents", verbose_name=_("member")
    )
    product = models.ForeignKey(
        "products.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    # DO_NOTHING lets the cleanup delete pending sign-ups in one statement (they never have a
    # consent); the database's foreign key still refuses to delete a confirmed one.
    signup = models.OneToOneField(
        SignUp, on_delete=models.DO_NOTHING, related_name="consent", verbose_name=_("sign-up")
    )
    email = models.EmailField(_("e-mail address"), max_length=254)
    text = models.TextField(_("text as shown"))
    version = models.CharField(_("version (SHA-256 of the text)"), max_length=64)
    language = models.CharField(_("language"), max_length=10, blank=True)
    given_at = models.DateTimeField(_("given at"))
    given_ip = models.GenericIPAddressField(_("given from IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"))
    confirmed_ip = models.GenericIPAddressField(
        _("confirmed from IP address"), null=True, blank=True
    )
    # Set once when the member's data is erased (``privacy.erasure``): the address, IPs and user
    # agent are cleared, the proof stays (text, version, times) with the address's SHA-256, so
    # a person who names their address can still be shown what they agreed to.
    email_sha256 = models.CharField(_("SHA-256 of the e-mail address"), max_length=64, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.email} · {self.product_id} at {self.confirmed_at:%Y-%m-%d %H:%M}"
