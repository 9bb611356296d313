"""Seller settings, numbering series and the issued documents (invoices and credit notes).

One document model with a ``kind`` holds invoices and credit notes: both are numbered from a
locked counter, snapshot seller and buyer, carry lines with net/VAT/gross and are immutable once
issued. A credit note points at the invoice it corrects (``corrects``) and carries negative
amounts. One model keeps one numbering path, one admin list (filters, totals, CSV) and one member
list; the kind decides the series.

Issued documents refuse every change through the ORM: ``save()`` on an existing row, instance and
queryset ``delete()`` and queryset ``update()`` raise ``ImmutableDocumentError``. The rendered PDF
and every e-mail sent live in their own rows (``DocumentFile``, ``DocumentMail``).
"""

from __future__ import annotations

import string
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from invoices import datev_settings
from invoices.vat import TaxTreatment
from products.storage import private_storage

DEFAULT_SMALL_BUSINESS_NOTE = "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet."


class ImmutableDocumentError(Exception):
    """An issued invoice or credit note was about to be changed or deleted."""


def validate_number_format(value: str) -> None:
    """Allow only the ``{year}`` and ``{number}`` fields (with a format spec such as ``:06d``)."""
    try:
        fields = [field for _text, field, _spec, _conv in string.Formatter().parse(value) if field]
    except ValueError as error:
        raise ValidationError(
            _("The number format is not valid: %(error)s"), params={"error": error}
        ) from error
    unknown = sorted(set(fields) - {"year", "number"})
    if unknown:
        raise ValidationError(
            _("Only {year} and {number} may appear in a number format, not %(fields)s."),
            params={"fields": ", ".join(unknown)},
        )
    if "number" not in fields:
        raise ValidationError(_("The number format must contain {number}."))
    try:
        value.format(year=2026, number=1)
    except (ValueError, TypeError) as error:
        raise ValidationError(
            _("The number format is not valid: %(error)s"), params={"error": error}
        ) from error


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("invoice")
    CREDIT_NOTE = "credit_note", _("credit note")


class SellerSettings(models.Model):
    """The creator's invoicing details: one row (pk 1)."""

    legal_name = models.CharField(_("legal name"), max_length=200)
    address = models.TextField(_("address"), help_text=_("One line per address line."))
    country = models.CharField(
        _("country"),
        max_length=2,
        default="DE",
        help_text=_(
            "ISO code of the country you sell from (DE, AT, NL, ...). Buyers there pay the "
            "default rate below; consumers elsewhere in the EU pay their country's rate."
        ),
    )
    vat_id = models.CharField(_("VAT id"), max_length=40, blank=True)
    tax_number = models.CharField(_("tax number"), max_length=40, blank=True)
    email = models.EmailField(_("contact e-mail"), blank=True)
    default_vat_rate = models.DecimalField(
        _("default VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("19.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    small_business = models.BooleanField(
        _("small-business exemption"),
        default=False,
        help_text=_("German § 19 UStG: no VAT is charged and the note below is printed."),
    )
    small_business_note = models.CharField(
        _("small-business note"), max_length=300, default=DEFAULT_SMALL_BUSINESS_NOTE
    )
    footer = models.TextField(_("footer text"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="seller/", blank=True)
    invoice_number_format = models.CharField(
        _("invoice number format"),
        max_length=40,
        default="RE-{year}-{number:06d}",
        validators=[validate_number_format],
        help_text=_("{year} is the year of issue, {number} the counter of that year."),
    )
    credit_note_number_format = models.CharField(
        _("credit note number format"),
        max_length=40,
        default="GS-{year}-{number:06d}",
        validators=[validate_number_format],
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    # DATEV (the tax advisor's export); the defaults are the SKR03 accounts.
    datev_consultant_number = models.PositiveIntegerField(
        _("DATEV consultant number (Beraternummer)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1001), MaxValueValidator(9999999)],
        help_text=_("From your tax advisor: 1001 to 9999999."),
    )
    datev_client_number = models.PositiveIntegerField(
        _("DATEV client number (Mandantennummer)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(99999)],
        help_text=_("From your tax advisor: 1 to 99999."),
    )
    datev_fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"),
        default=1,
        choices=list(MONTHS.items()),
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("The fiscal year starts on the first day of this month."),
    )
    datev_account_length = models.PositiveSmallIntegerField(
        _("account length (Sachkontenlänge)"),
        default=4,
        validators=[MinValueValidator(4), MaxValueValidator(8)],
        help_text=_("Digits of a general ledger account: 4 in SKR03 and SKR04."),
    )
    datev_chart_of_accounts = models.CharField(
        _("chart of accounts"),
        max_length=2,
        choices=[("03", "SKR03"), ("04", "SKR04")],
        default="03",
        help_text=_("The default accounts below are SKR03; for SKR04 enter your advisor's."),
    )
    datev_clearing_account = models.CharField(
        _("clearing or debtor account"),
        max_length=9,
        default=datev_settings.DEFAULT_CLEARING_ACCOUNT,
        help_text=_(
            "The account every booking runs against, e.g. 1360 (money in transit) or 1200."
        ),
    )
    datev_clearing_accounts = models.JSONField(
        _("clearing account per payment provider"),
        default=dict,
        blank=True,
        help_text=_('Optional, e.g. {"stripe": "1361"}. Other providers use the account above.'),
    )
    datev_revenue_accounts = models.JSONField(
        _("revenue account per VAT rate"),
        default=datev_settings.default_revenue_accounts,
        help_text=_('Domestic sales: VAT rate → account, e.g. {"19": "8400", "7": "8300"}.'),
    )
    datev_oss_accounts = models.JSONField(
        _("OSS revenue account per VAT rate"),
        default=datev_settings.default_oss_accounts,
        help_text=_(
            'Consumers in another EU country (OSS): rate → account; "other" for every rate '
            "not listed. The buyer's country and rate go into the booking as well."
        ),
    )
    datev_reverse_charge_account = models.CharField(
        _("revenue account for reverse charge (EU businesses)"),
        max_length=8,
        default=datev_settings.DEFAULT_REVERSE_CHARGE_ACCOUNT,
    )
    datev_export_account = models.CharField(
        _("revenue account for buyers outside the EU"),
        max_length=8,
        default=datev_settings.DEFAULT_EXPORT_ACCOUNT,
    )
    datev_small_business_account = models.CharField(
        _("revenue account under the small-business exemption"),
        max_length=8,
        default=datev_settings.DEFAULT_SMALL_BUSINESS_ACCOUNT,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("seller settings")
        verbose_name_plural = _("seller settings")

    def __str__(self) -> str:
        return self.legal_name or str(_("seller settings"))

    def clean(self) -> None:
        super().clean()
        errors = datev_settings.datev_field_errors(self)
        try:
            invoice = self.invoice_number_format.format(year=2026, number=1)
            credit_note = self.credit_note_number_format.format(year=2026, number=1)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError):
            invoice = credit_note = None  # the field validators report the broken format
        if invoice is not None and invoice == credit_note:
            errors["credit_note_number_format"] = [_("Credit notes need a format of their own.")]
        if errors:
            raise ValidationError(errors)

    @property
    def is_complete(self) -> bool:
        return bool(self.legal_name.strip() and self.address.strip())

    def number_format_for(self, kind: str) -> str:
        if kind == DocumentKind.CREDIT_NOTE:
            return self.credit_note_number_format
        return self.invoice_number_format


class InvoiceSeries(models.Model):
    """The counter of one series in one year. Issuers lock this row (select_for_update)."""

    kind = models.CharField(_("series"), max_length=20, choices=DocumentKind.choices)
    year = models.PositiveIntegerField(_("year"), help_text=_("0: one series for all years."))
    is_test = models.BooleanField(
        _("test mode"),
        default=False,
        help_text=_("Test-mode purchases are numbered apart (TEST-…), never in the real series."),
    )
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "year", "is_test"], name="invoice_series_once_per_mode"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year}: {self.last_number}"


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableDocumentError("Issued documents cannot be changed.")

    def delete(self):
        raise ImmutableDocumentError("Issued documents cannot be deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise ImmutableDocumentError("Issued documents cannot be changed.")


class ImmutableModel(models.Model):
    """Rows are written once: inserting works, every later change or delete raises."""

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableDocumentError(f"{self._meta.verbose_name} {self.pk} cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableDocumentError(f"{self._meta.verbose_name} {self.pk} cannot be deleted.")


class Document(ImmutableModel):
    """An issued invoice or credit note. Amounts are minor units; a credit note's are negative."""

    kind = models.CharField(_("type"), max_length=20, choices=DocumentKind.choices)
    series = models.ForeignKey(
        InvoiceSeries, on_delete=models.PROTECT, related_name="documents", verbose_name=_("series")
    )
    sequence = models.PositiveIntegerField(_("counter"))
    number = models.CharField(_("number"), max_length=60, unique=True)
    issued_at = models.DateTimeField(_("issued at"))
    issue_date = models.DateField(_("issue date"), db_index=True)
    service_date = models.DateField(_("date of supply (payment date)"))
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="invoice_documents",
        verbose_name=_("member"),
    )
    payment = models.ForeignKey(
        "billing.Payment",
        on_delete=models.PROTECT,
        related_name="invoice_documents",
        verbose_name=_("payment"),
    )
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name=_("corrects invoice"),
    )
    payment_reference = models.CharField(_("payment reference"), max_length=255)
    # Seller as at the issue date.
    seller_name = models.CharField(_("seller"), max_length=200)
    seller_address = models.TextField(_("seller address"))
    seller_vat_id = models.CharField(_("seller VAT id"), max_length=40, blank=True)
    seller_tax_number = models.CharField(_("seller tax number"), max_length=40, blank=True)
    seller_email = models.EmailField(_("seller e-mail"), blank=True)
    footer = models.TextField(_("footer text"), blank=True)
    small_business_note = models.CharField(_("small-business note"), max_length=300, blank=True)
    # Buyer as at checkout.
    buyer_name = models.CharField(_("buyer"), max_length=200, blank=True)
    buyer_email = models.EmailField(_("buyer e-mail"))
    buyer_address = models.TextField(_("buyer address"), blank=True)
    buyer_country = models.CharField(_("buyer country"), max_length=2, blank=True)
    buyer_vat_id = models.CharField(_("buyer VAT id"), max_length=40, blank=True)
    # How the document is taxed (issue 19) and the location evidence OSS asks for, as the
    # provider reported it at checkout: the billing address country, and the card's or the
    # IP address's country where the provider gives them ("" where it does not).
    tax_treatment = models.CharField(
        _("tax treatment"),
        max_length=20,
        choices=TaxTreatment.choices,
        default=TaxTreatment.DOMESTIC,
    )
    evidence_billing_country = models.CharField(
        _("billing address country"), max_length=2, blank=True
    )
    evidence_card_country = models.CharField(_("card country"), max_length=2, blank=True)
    evidence_ip_country = models.CharField(_("IP address country"), max_length=2, blank=True)
    # The withdrawal-right waiver as recorded when the invoice was issued (``billing.waiver``).
    withdrawal_waiver_version = models.CharField(
        _("withdrawal waiver (text version)"), max_length=40, blank=True
    )
    withdrawal_waiver_at = models.DateTimeField(_("withdrawal waiver given"), null=True, blank=True)
    access_withheld_until = models.DateTimeField(
        _("access opens at (no waiver)"), null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    net_total = models.BigIntegerField(_("net (minor units)"))
    vat_total = models.BigIntegerField(_("VAT (minor units)"))
    gross_total = models.BigIntegerField(_("gross (minor units)"))

    class Meta:
        verbose_name = _("invoice or credit note")
        verbose_name_plural = _("invoices and credit notes")
        ordering = ["-issued_at", "-pk"]
        permissions = [("export_datev", _("Can export invoices and credit notes to DATEV"))]
        constraints = [
            models.UniqueConstraint(fields=["series", "sequence"], name="document_sequence_once"),
            models.UniqueConstraint(
                fields=["payment"],
                condition=models.Q(kind="invoice"),
                name="one_invoice_per_payment",
            ),
            models.CheckConstraint(
                condition=models.Q(gross_total=models.F("net_total") + models.F("vat_total")),
                name="document_gross_is_net_plus_vat",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="invoice", corrects__isnull=True, gross_total__gte=0)
                    | models.Q(kind="credit_note", corrects__isnull=False, gross_total__lte=0)
                ),
                name="document_kind_shape",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_credit_note(self) -> bool:
        return self.kind == DocumentKind.CREDIT_NOTE

    @property
    def buyer_address_lines(self) -> list[str]:
        return [line for line in self.buyer_address.splitlines() if line.strip()]

    @property
    def seller_address_lines(self) -> list[str]:
        return [line for line in self.seller_address.splitlines() if line.strip()]

    @property
    def pdf_filename(self) -> str:
        return f"{self.number}.pdf"


class DocumentLine(ImmutableModel):
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"))
    description = models.CharField(_("description"), max_length=300)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    net = models.BigIntegerField(_("net (minor units)"))
    vat = models.BigIntegerField(_("VAT (minor units)"))
    gross = models.BigIntegerField(_("gross (minor units)"))

    class Meta:
        verbose_name = _("line")
        verbose_name_plural = _("lines")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["document", "position"], name="document_line_once"),
        ]

    def __str__(self) -> str:
        return self.description


class DocumentFile(ImmutableModel):
    """The rendered PDF of a document, stored privately. Rendered once, after commit."""

    document = models.OneToOneField(
        Document, on_delete=models.PROTECT, primary_key=True, related_name="file"
    )
    pdf = models.FileField(_("PDF"), storage=private_storage, upload_to="invoices/")
    rendered_at = models.DateTimeField(_("rendered at"))

    class Meta:
        verbose_name = _("document PDF")
        verbose_name_plural = _("document PDFs")

    def __str__(self) -> str:
        return self.pdf.name


class DocumentMail(models.Model):
    """One e-mail that carried a document: the automatic one after issue, and every resend."""

    class Reason(models.TextChoices):
        ISSUED = "issued", _("issued")
        RESENT = "resent", _("sent again")

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="mails")
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    recipient = models.EmailField(_("recipient"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("document e-mail")
        verbose_name_plural = _("document e-mails")
        constraints = [
            models.UniqueConstraint(
                fields=["document"], condition=models.Q(reason="issued"), name="issued_mail_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} -> {self.recipient}"


class PendingDocument(models.Model):
    """A payment or refund that needs a document while the seller settings are missing.

    Nothing is lost: the row waits until an admin issues the pending documents, in the order they
    were requested (invoices before the credit notes that correct them).
    """

    kind = models.CharField(_("type"), max_length=20, choices=DocumentKind.choices)
    payment = models.ForeignKey(
        "billing.Payment", on_delete=models.PROTECT, related_name="pending_documents"
    )
    amount = models.PositiveIntegerField(_("amount (minor units)"))
    requested_at = models.DateTimeField(_("requested at"))
    buyer = models.JSONField(_("buyer snapshot"), default=dict, blank=True)
    document = models.OneToOneField(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pending_request",
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending document")
        verbose_name_plural = _("pending documents")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment"],
                condition=models.Q(kind="invoice"),
                name="one_pending_invoice_per_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.payment}"


class VatIdCheck(models.Model):
    """The check of a business buyer's VAT id for one payment: format, then VIES.

    One row per payment (unique), so the check and the invoice it decides happen once. While
    VIES cannot answer, the row stays ``pending`` and the invoice waits; the beat job
    ``invoices.tasks.retry_vat_id_checks`` asks again at ``next_attempt_at``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for VIES")
        VALID = "valid", _("valid: reverse charge")
        INVALID = "invalid", _("refused: taxed as a consumer")

    payment = models.OneToOneField(
        "billing.Payment", on_delete=models.PROTECT, related_name="vat_id_check"
    )
    vat_id = models.CharField(_("VAT id"), max_length=40)
    country = models.CharField(_("country of the VAT id"), max_length=2, blank=True)
    status = models.CharField(
        _("result"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(
        _("reason"),
        max_length=500,
        blank=True,
        help_text=_("Why the id was refused, or why VIES has not answered yet."),
    )
    attempts = models.PositiveIntegerField(_("VIES requests"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    checked_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    request_identifier = models.CharField(_("VIES consultation number"), max_length=100, blank=True)
    registered_name = models.CharField(_("name in VIES"), max_length=300, blank=True)
    registered_address = models.TextField(_("address in VIES"), blank=True)
    created_at = models.DateTimeField(_("requested at"))

    class Meta:
        verbose_name = _("VAT id check")
        verbose_name_plural = _("VAT id checks")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="vat_check_due")]

    def __str__(self) -> str:
        return f"{self.vat_id}: {self.get_status_display()}"
