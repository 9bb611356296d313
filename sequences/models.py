"""E-mail sequences: a trigger enrols a member once, then steps go out one by one.

A ``Sequence`` watches a product (a lead magnet confirmed, a purchase, a subscription that ended)
and sends its ``Step`` e-mails in order; a purchase of its target product stops it. One
``Enrolment`` per (member, sequence) and one ``SequenceEmail`` per (enrolment, step) make each
e-mail go out at most once. ``MarketingPreference`` holds the member's unsubscribe, which stops
every sequence (marketing) e-mail; transactional e-mails never read it.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

PLACEHOLDERS = ("first_name", "product", "link", "coupon")
PLACEHOLDER_PATTERN = re.compile(r"\{([a-z_]*)\}")
LANGUAGE_CODES = ("en", "de", "nl")


class Sequence(models.Model):
    class Trigger(models.TextChoices):
        LEAD_CONFIRMED = "lead_confirmed", _("lead magnet confirmed (nurture)")
        PURCHASE = "purchase", _("product bought (onboarding)")
        SUBSCRIPTION_ENDED = "subscription_ended", _("subscription cancelled or lapsed (win-back)")

    name = models.CharField(_("name"), max_length=200)
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    product = models.ForeignKey(
        "products.Product",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("watched product"),
        help_text=_(
            "The free product whose confirmed sign-up, the product whose purchase, or the "
            "subscription product whose end starts the sequence."
        ),
    )
    target_product = models.ForeignKey(
        "products.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("target product"),
        help_text=_(
            "A purchase of this product stops the sequence (no further e-mails). "
            "{product} and {link} in the e-mails name it; without it they name the watched "
            "product."
        ),
    )
    is_active = models.BooleanField(
        _("active"),
        default=False,
        help_text=_("Only active sequences enrol members and send e-mails; pausing keeps places."),
    )
    enrol_from = models.DateTimeField(
        _("enrol triggers from"),
        default=timezone.now,
        help_text=_(
            "Only sign-ups, purchases and endings from this moment on enrol members: "
            "older ones do not get the sequence."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("e-mail sequence")
        verbose_name_plural = _("e-mail sequences")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        same = self.target_product_id and self.target_product_id == self.product_id
        # Win-back may aim at the product that ended; nurture and onboarding aim elsewhere.
        if same and self.trigger != self.Trigger.SUBSCRIPTION_ENDED:
            raise ValidationError(
                {"target_product": _("The target must differ from the watched product.")}
            )


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in PLACEHOLDER_PATTERN.findall(text) if name not in PLACEHOLDERS})


class Step(models.Model):
    """One e-mail of a sequence. ``delay_days`` counts from the previous e-mail (the first step:
    from the enrolment); it goes out at the member's local morning of that day, or the next."""

    sequence = models.ForeignKey(
        Sequence, on_delete=models.CASCADE, related_name="steps", verbose_name=_("sequence")
    )
    order = models.PositiveSmallIntegerField(pgettext_lazy("position", "order"), default=1)
    delay_days = models.PositiveSmallIntegerField(
        _("delay in days"),
        default=1,
        help_text=_(
            "Days after the previous e-mail (the first e-mail: after the member enrolled). "
            "It goes out at 08:00 in the member's time zone on that day, or the next morning; "
            "0 means the next morning."
        ),
    )
    subject_en = models.CharField(_("subject (English)"), max_length=200)
    body_en = models.TextField(
        _("text (English)"),
        help_text=_(
            "Plain text. Placeholders: {first_name}, {product}, {link}, {coupon}. "
            "The unsubscribe link is added below the text."
        ),
    )
    subject_de = models.CharField(_("subject (German)"), max_length=200, blank=True)
    body_de = models.TextField(
        _("text (German)"), blank=True, help_text=_("Empty: German members get the English text.")
    )
    subject_nl = models.CharField(_("subject (Dutch)"), max_length=200, blank=True)
    body_nl = models.TextField(
        _("text (Dutch)"), blank=True, help_text=_("Empty: Dutch members get the English text.")
    )
    coupon_code = models.CharField(
        _("coupon code"),
        max_length=50,
        blank=True,
        help_text=_(
            "Optional (win-back): the code of an active coupon, inserted where the text says "
            "{coupon}. If the coupon has expired, is used up or switched off when the e-mail "
            "goes out, the e-mail is not sent."
        ),
    )

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["sequence", "order"]
        constraints = [
            models.UniqueConstraint(fields=["sequence", "order"], name="sequence_step_order_once"),
        ]

    def __str__(self) -> str:
        return f"{self.sequence} #{self.order}"

    def clean(self) -> None:
        errors: dict[str, ValidationError] = {}
        for code in LANGUAGE_CODES:
            subject, body = getattr(self, f"subject_{code}"), getattr(self, f"body_{code}")
            if bool(subject.strip()) != bool(body.strip()):
                field = f"body_{code}" if subject.strip() else f"subject_{code}"
                errors[field] = ValidationError(_("Fill in both the subject and the text."))
            unknown = unknown_placeholders(subject + body)
            if unknown:
                errors.setdefault(
                    f"body_{code}",
                    ValidationError(
                        _(
                            "Unknown placeholder %(names)s; use {first_name}, {product}, {link} "
                            "or {coupon}."
                        ),
                        params={"names": ", ".join(f"{{{name}}}" for name in unknown)},
                    ),
                )
            if "{coupon}" in subject + body and not self.coupon_code.strip():
                errors.setdefault(
                    "coupon_code",
                    ValidationError(_("The text uses {coupon}: set the coupon code.")),
                )
        if errors:
            raise ValidationError(errors)

    def text_for(self, language: str) -> tuple[str, str]:
        """(subject, body) in ``language``, or in English when that language is not written."""
        code = language if language in LANGUAGE_CODES else "en"
        subject, body = getattr(self, f"subject_{code}"), getattr(self, f"body_{code}")
        if not (subject.strip() and body.strip()):
            return self.subject_en, self.body_en
        return subject, body


class Enrolment(models.Model):
    """A member in a sequence: once per (member, sequence), whatever happens to the trigger.

    ``next_due_at`` is when the next step goes out (empty once finished or stopped); the beat
    job finds due rows by it in one indexed query.
    """

    class StopReason(models.TextChoices):
        TARGET_BOUGHT = "target_bought", _("bought the target product")
        UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
        INACTIVE = "inactive", _("account deactivated")

    sequence = models.ForeignKey(
        Sequence, on_delete=models.CASCADE, related_name="enrolments", verbose_name=_("sequence")
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sequence_enrolments",
        verbose_name=_("member"),
    )
    triggered_at = models.DateTimeField(_("trigger happened at"))
    enrolled_at = models.DateTimeField(_("enrolled at"))
    is_test = models.BooleanField(_("test mode"), default=False)
    last_step_order = models.PositiveSmallIntegerField(_("last step sent"), default=0)
    last_step_at = models.DateTimeField(_("last e-mail queued at"), null=True, blank=True)
    next_due_at = models.DateTimeField(_("next e-mail due"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    stop_reason = models.CharField(
        _("stop reason"), max_length=20, choices=StopReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["member", "sequence"], name="sequence_enrolment_once"),
        ]
        indexes = [
            models.Index(
                fields=["next_due_at"],
                name="sequence_enrolment_due_idx",
                condition=models.Q(next_due_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} · {self.sequence_id}"


class SequenceEmail(models.Model):
    """One step's e-mail to one enrolled member: the unique pair makes a second one impossible."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("not sent (stopped or unsubscribed meanwhile)")
        COUPON_INVALID = "no_coupon", _("not sent (its coupon is no longer valid)")

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="emails", verbose_name=_("enrolment")
    )
    step = models.ForeignKey(
        Step, on_delete=models.PROTECT, related_name="emails", verbose_name=_("step")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    queued_at = models.DateTimeField(_("queued at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sequence e-mail")
        verbose_name_plural = _("sequence e-mails")
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "step"], name="sequence_email_once"),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment} · {self.step_id} ({self.status})"


class MarketingPreference(models.Model):
    """Whether the member takes marketing e-mails (every sequence); no row means yes."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="marketing_preference",
        verbose_name=_("member"),
    )
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("marketing e-mail preference")
        verbose_name_plural = _("marketing e-mail preferences")

    def __str__(self) -> str:
        return f"{self.member_id}: {'unsubscribed' if self.unsubscribed_at else 'subscribed'}"

    @property
    def is_subscribed(self) -> bool:
        return self.unsubscribed_at is None
