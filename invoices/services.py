"""Issuing invoices and credit notes. Billing calls the two ``issue_*`` functions inside the
transaction that records a payment or a refund/lost dispute.

Which payments get an invoice of ours: only payments through our own provider (Stripe) with an
amount above zero. Digistore24 is the merchant of record and invoices its buyers itself; a trial
start of 0.00 is not a supply to invoice.

When the seller settings are missing, nothing is lost: the request is stored as a
``PendingDocument`` in the same transaction, and ``issue_pending_documents`` (an admin action)
issues them once the settings exist.

The tax treatment (issue 19, ``invoices.vat.decide_treatment``): the seller's rate at home, the
buyer's country's rate for an EU consumer (OSS), none outside the EU, 0 % for an EU business
whose VAT id VIES confirmed (reverse charge; the invoice waits as pending until VIES answers,
``invoices.vat_checks``), and the § 19 note as before. Prices are gross: the buyer pays the
same everywhere, and the VAT inside it follows the country.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from invoices.models import (
    Document,
    DocumentKind,
    DocumentLine,
    PendingDocument,
    SellerSettings,
)
from invoices.numbering import allocate_number
from invoices.vat import Split, TaxTreatment, Treatment, decide_treatment, split_gross
from invoices.vat_checks import confirmed_business_country, ensure_vat_id_check
from outbox.models import OutboxMessage
from outbox.services import Outgoing, enqueue

OutboxKind = OutboxMessage.Kind

if TYPE_CHECKING:
    from billing.models import Payment
    from billing.providers.base import Buyer
    from members.models import User

logger = logging.getLogger(__name__)

INVOICED_PROVIDERS = frozenset({"stripe"})


class CreditExceedsInvoiceError(ValueError):
    """A refund or dispute would credit more than the invoice it corrects."""


class SellerSettingsMissingError(RuntimeError):
    """The seller's legal name and address are needed before any document can be issued."""


def seller_settings() -> SellerSettings | None:
    """The one settings row if it is complete enough to issue documents, else None."""
    seller = SellerSettings.objects.order_by("pk").first()
    return seller if seller is not None and seller.is_complete else None


def is_invoiced(payment: Payment) -> bool:
    """Our own provider's payments above zero get our invoice; Digistore24 invoices its buyers."""
    return payment.provider in INVOICED_PROVIDERS and payment.amount > 0


def buyer_snapshot(*, payment: Payment, buyer: Buyer | None) -> dict:
    """Name, e-mail, address lines, country and VAT id as known at checkout.

    Without the checkout's buyer (a renewal), the order's previous invoice supplies them, and
    failing that the member's name and e-mail.
    """
    if buyer is not None:
        member = payment.order.member
        return {
            "name": buyer.name or member.name,
            "email": buyer.email or member.email,
            "address": list(buyer.address),
            "country": buyer.country,
            "vat_id": buyer.vat_id,
            "card_country": buyer.card_country,
            "ip_country": buyer.ip_country,
        }
    previous = (
        Document.objects.filter(payment__order=payment.order, kind=DocumentKind.INVOICE)
        .order_by("-pk")
        .first()
    )
    if previous is not None:
        return _document_buyer(previous)
    member = payment.order.member
    return {"name": member.name, "email": member.email, "address": [], "country": ""}


def _document_buyer(document: Document) -> dict:
    return {
        "name": document.buyer_name,
        "email": document.buyer_email,
        "address": document.buyer_address_lines,
        "country": document.evidence_billing_country or document.buyer_country,
        "vat_id": document.buyer_vat_id,
        "card_country": document.evidence_card_country,
        "ip_country": document.evidence_ip_country,
    }


def issue_invoice_for_payment(
    *, payment: Payment, now: datetime, buyer: Buyer | None = None
) -> Document | None:
    """Issue the payment's invoice in the caller's transaction; at most one per payment.

    Returns the invoice, or None when the payment gets no invoice of ours (another provider, a
    zero amount) or when it was stored as pending because the seller settings are missing.
    ``buyer`` is the checkout's buyer (address, VAT id); without it the member's name and e-mail
    are used. The PDF is rendered and e-mailed after commit.
    """
    if not is_invoiced(payment):
        return None
    return _issue_invoice_once(payment=payment, now=now, buyer=buyer)


# No savepoint of its own (see ``members.services.grant_access``): nested in the event's
# transaction it saves two round trips, and an error rolls back the caller's savepoint.
@transaction.atomic(savepoint=False)
def _issue_invoice_once(*, payment: Payment, now: datetime, buyer: Buyer | None) -> Document | None:
    existing = Document.objects.filter(payment=payment, kind=DocumentKind.INVOICE).first()
    if existing is not None:
        return existing
    seller = seller_settings()
    snapshot = buyer_snapshot(payment=payment, buyer=buyer)
    if seller is None:
        logger.warning("Seller settings missing: invoice for payment %s is pending", payment.pk)
        PendingDocument.objects.get_or_create(
            payment=payment,
            kind=DocumentKind.INVOICE,
            defaults={"amount": payment.amount, "requested_at": now, "buyer": snapshot},
        )
        return None
    if _waits_for_vat_id_check(payment=payment, seller=seller, buyer=snapshot, now=now):
        PendingDocument.objects.get_or_create(
            payment=payment,
            kind=DocumentKind.INVOICE,
            defaults={"amount": payment.amount, "requested_at": now, "buyer": snapshot},
        )
        return None
    return _issue_invoice(payment=payment, seller=seller, buyer=snapshot, now=now)


def _waits_for_vat_id_check(
    *, payment: Payment, seller: SellerSettings, buyer: dict, now: datetime
) -> bool:
    check = ensure_vat_id_check(payment=payment, seller=seller, buyer=buyer, now=now)
    return check is not None and check.status == check.Status.PENDING


@transaction.atomic
def issue_credit_note_for_refund(
    *, payment: Payment, amount: int, now: datetime, line: str = ""
) -> Document | None:
    """Issue a credit note for ``amount`` (minor units, this refund or lost dispute only).

    The credit note references the payment's invoice and negates the amount; crediting more
    than is left on the invoice raises ``CreditExceedsInvoiceError`` (and the caller's
    transaction rolls back). Returns None for payments without our invoice, and when the
    credit note is stored as pending because the invoice itself is still pending.
    """
    if not is_invoiced(payment) or amount <= 0:
        return None
    invoice = (
        Document.objects.select_for_update()
        .filter(payment=payment, kind=DocumentKind.INVOICE)
        .first()
    )
    pending_invoice = PendingDocument.objects.filter(
        payment=payment, kind=DocumentKind.INVOICE, document__isnull=True
    ).exists()
    if invoice is None and not pending_invoice:
        logger.warning("Refund on payment %s without an invoice: no credit note", payment.pk)
        return None
    credited = _credited_so_far(payment=payment)
    if credited + amount > payment.amount:
        raise CreditExceedsInvoiceError(
            f"Crediting {amount} on top of {credited} exceeds the invoiced {payment.amount}."
        )
    seller = seller_settings()
    if invoice is None or seller is None:
        PendingDocument.objects.create(
            payment=payment, kind=DocumentKind.CREDIT_NOTE, amount=amount, requested_at=now
        )
        return None
    return _issue_credit_note(invoice=invoice, amount=amount, seller=seller, now=now, line=line)


@transaction.atomic
def send_documents_again(
    *, documents: QuerySet[Document], actor: User | None, now: datetime
) -> int:
    """Support's "send again": one more e-mail per document, after commit, naming the admin."""
    rows = list(documents.values_list("pk", "member_id"))
    enqueue(
        *(
            Outgoing(
                kind=OutboxKind.DOCUMENT_RESEND,
                member_id=member_pk,
                payload={"document_pk": pk, "actor_pk": actor.pk if actor else None},
            )
            for pk, member_pk in rows
        ),
        now=now,
    )
    return len(rows)


def issue_pending_documents(*, now: datetime) -> list[Document]:
    """Issue every pending document in request order (invoices before their credit notes).

    Each document is issued in its own transaction with the pending row locked and re-checked,
    so running this twice (or from two admins at once) never issues a document twice.
    """
    if seller_settings() is None:
        raise SellerSettingsMissingError(_("Fill in the seller settings first."))
    pending_pks = list(
        PendingDocument.objects.filter(document__isnull=True).values_list("pk", flat=True)
    )
    return [doc for pk in pending_pks if (doc := _issue_pending(pk=pk, now=now)) is not None]


def issue_documents_of_payment(*, payment_pk: int, now: datetime) -> list[Document]:
    """Issue one payment's pending documents (its invoice once its VAT id check is decided,
    then the credit notes that wait for it); as safe to repeat as ``issue_pending_documents``."""
    if seller_settings() is None:
        return []
    pending_pks = list(
        PendingDocument.objects.filter(payment_id=payment_pk, document__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [doc for pk in pending_pks if (doc := _issue_pending(pk=pk, now=now)) is not None]


@transaction.atomic
def _issue_pending(*, pk: int, now: datetime) -> Document | None:
    request = (
        PendingDocument.objects.select_for_update()
        .select_related("payment__order__member", "payment__order__product")
        .get(pk=pk)
    )
    seller = seller_settings()
    if request.document_id is not None or seller is None:
        return None
    payment = request.payment
    if request.kind == DocumentKind.INVOICE:
        document = Document.objects.filter(payment=payment, kind=DocumentKind.INVOICE).first()
        buyer = request.buyer
        if document is None:
            if _waits_for_vat_id_check(payment=payment, seller=seller, buyer=buyer, now=now):
                return None  # VIES has not answered yet; the check's job issues it later
            document = _issue_invoice(payment=payment, seller=seller, buyer=buyer, now=now)
    else:
        invoice = (
            Document.objects.select_for_update()
            .filter(payment=payment, kind=DocumentKind.INVOICE)
            .first()
        )
        if invoice is None:
            return None  # its invoice is still waiting (for VIES): issued right after it
        document = _issue_credit_note(
            invoice=invoice, amount=request.amount, seller=seller, now=now
        )
    request.document = document
    request.issued_at = now
    request.save(update_fields=["document", "issued_at"])
    return document


def _credited_so_far(*, payment: Payment) -> int:
    issued = Document.objects.filter(payment=payment, kind=DocumentKind.CREDIT_NOTE).aggregate(
        total=Sum("gross_total")
    )["total"]
    pending = PendingDocument.objects.filter(
        payment=payment, kind=DocumentKind.CREDIT_NOTE, document__isnull=True
    ).aggregate(total=Sum("amount"))["total"]
    return -(issued or 0) + (pending or 0)


def _treatment(*, payment: Payment, seller: SellerSettings, buyer: dict) -> Treatment:
    """The invoice's treatment from the seller settings, the buyer's billing country and the
    payment's VAT id check (reverse charge only for an id VIES confirmed)."""
    from invoices.models import VatIdCheck

    # A check is only ever started for a buyer's VAT id: without one, there is none to read.
    check = VatIdCheck.objects.filter(payment=payment).first() if buyer.get("vat_id") else None
    return decide_treatment(
        seller_country=seller.country,
        seller_rate=seller.default_vat_rate,
        small_business=seller.small_business,
        buyer_country=buyer.get("country") or "",
        business_country=confirmed_business_country(check),
    )


def _line_description(payment: Payment) -> str:
    product = payment.order.product.name
    if payment.period_end is None:
        return product
    until = timezone.localdate(payment.period_end).isoformat()
    return _("%(product)s, access until %(date)s") % {"product": product, "date": until}


def _discount_of(payment: Payment):
    from offers.models import PaymentDiscount

    discount = PaymentDiscount.objects.filter(payment=payment).first()
    if discount is None or discount.subtotal - discount.amount != payment.amount:
        return None  # no coupon, or figures that do not add up: one line of what was paid
    return discount


def _discount_description(discount) -> str:
    if discount.code:
        return _("Discount (code %(code)s)") % {"code": discount.code}
    return _("Discount")


def _bump_of(payment: Payment):
    from offers.models import BumpPurchase

    return BumpPurchase.objects.select_related("order__product").filter(payment=payment).first()


def _invoice_lines(payment: Payment, rate: Decimal) -> list[tuple[str, Split]]:
    """The product at its price, an order bump's product at its price (a line of its own),
    and, for a coupon, the discount as a negative line of its own; each line split on its own,
    so the document's totals are the sums of its lines."""
    discount = _discount_of(payment)
    bump = _bump_of(payment)
    gross = payment.amount if discount is None else discount.subtotal
    lines = []
    if bump is not None:
        bump_gross = bump.amount if discount is None else bump.list_amount
        gross -= bump_gross
        lines.append((bump.order.product.name, split_gross(gross=bump_gross, rate=rate)))
    lines.insert(0, (_line_description(payment), split_gross(gross=gross, rate=rate)))
    if discount is not None:
        lines.append(
            (_discount_description(discount), split_gross(gross=-discount.amount, rate=rate))
        )
    return lines


def _issue_invoice(
    *, payment: Payment, seller: SellerSettings, buyer: dict, now: datetime
) -> Document:
    treatment = _treatment(payment=payment, seller=seller, buyer=buyer)
    return _create_document(
        kind=DocumentKind.INVOICE,
        payment=payment,
        seller=seller,
        buyer=buyer,
        treatment=treatment,
        lines=_invoice_lines(payment, treatment.rate),
        corrects=None,
        now=now,
    )


def _issue_credit_note(
    *, invoice: Document, amount: int, seller: SellerSettings, now: datetime, line: str = ""
) -> Document:
    """Negate ``amount`` at the invoice's rate; the last credit note takes the exact remainder."""
    issued = Document.objects.filter(corrects=invoice).aggregate(
        net=Sum("net_total"), gross=Sum("gross_total")
    )
    credited_gross = -(issued["gross"] or 0)
    credited_net = -(issued["net"] or 0)
    remaining_gross = invoice.gross_total - credited_gross
    if amount > remaining_gross:
        raise CreditExceedsInvoiceError(
            f"Crediting {amount} exceeds the {remaining_gross} left on {invoice.number}."
        )
    if amount == remaining_gross:
        net = -(invoice.net_total - credited_net)
    else:
        # Round the running total, not each part: every note is within a cent of its own exact
        # split, and the notes together still mirror the invoice exactly.
        total_net = split_gross(gross=credited_gross + amount, rate=invoice.vat_rate).net
        net = -(total_net - credited_net)
    split = Split(net=net, vat=-amount - net, gross=-amount)
    buyer = _document_buyer(invoice)
    description = _("Credit for invoice %(number)s") % {"number": invoice.number}
    if line:
        description = _("Credit for invoice %(number)s: %(line)s") % {
            "number": invoice.number,
            "line": line,
        }
    return _create_document(
        kind=DocumentKind.CREDIT_NOTE,
        payment=invoice.payment,
        seller=seller,
        buyer=buyer,
        treatment=Treatment(invoice.tax_treatment, invoice.vat_rate, invoice.buyer_country),
        lines=[(description, split)],
        corrects=invoice,
        now=now,
        small_business_note=invoice.small_business_note,
    )


def _fitting(model, **values: str) -> dict[str, str]:
    """Buyer details cut to their columns: a 300-character name must not lose the payment."""
    fitted = {}
    for name, value in values.items():
        limit = model._meta.get_field(name).max_length
        fitted[name] = value[:limit] if limit else value
    return fitted


def _create_document(
    *,
    kind: str,
    payment: Payment,
    seller: SellerSettings,
    buyer: dict,
    treatment: Treatment,
    lines: list[tuple[str, Split]],
    corrects: Document | None,
    now: datetime,
    small_business_note: str | None = None,
) -> Document:
    """Number and store one document. A credit note keeps its invoice's tax treatment, rate,
    country and small-business note, whatever the settings or the rate table say today."""
    rate = treatment.rate
    if small_business_note is None:
        is_small = treatment.kind == TaxTreatment.SMALL_BUSINESS
        small_business_note = seller.small_business_note if is_small else ""
    issue_date = timezone.localdate(now)
    allocated = allocate_number(
        kind=kind, year=issue_date.year, seller=seller, is_test=payment.order.is_test
    )
    from billing.waiver import invoice_waiver_fields

    document = Document.objects.create(
        **invoice_waiver_fields(payment=payment, kind=kind, now=now),
        kind=kind,
        series=allocated.series,
        sequence=allocated.sequence,
        number=allocated.number,
        issued_at=now,
        issue_date=issue_date,
        service_date=timezone.localdate(payment.paid_at),
        member=payment.order.member,
        payment=payment,
        corrects=corrects,
        payment_reference=payment.provider_ref,
        seller_name=seller.legal_name,
        seller_address=seller.address,
        seller_vat_id=seller.vat_id,
        seller_tax_number=seller.tax_number,
        seller_email=seller.email,
        footer=seller.footer,
        small_business_note=small_business_note,
        **_fitting(
            Document,
            buyer_name=buyer.get("name", ""),
            buyer_email=buyer.get("email", ""),
            buyer_address="\n".join(buyer.get("address") or []),
            buyer_country=treatment.country,
            buyer_vat_id=buyer.get("vat_id", ""),
            evidence_billing_country=buyer.get("country") or "",
            evidence_card_country=buyer.get("card_country") or "",
            evidence_ip_country=buyer.get("ip_country") or "",
        ),
        tax_treatment=treatment.kind,
        currency=payment.currency.upper(),
        vat_rate=rate,
        net_total=sum(split.net for _text, split in lines),
        vat_total=sum(split.vat for _text, split in lines),
        gross_total=sum(split.gross for _text, split in lines),
    )
    DocumentLine.objects.bulk_create(
        DocumentLine(
            document=document,
            position=position,
            description=description[:300],
            quantity=1,
            vat_rate=rate,
            net=split.net,
            vat=split.vat,
            gross=split.gross,
        )
        for position, (description, split) in enumerate(lines, start=1)
    )
    # Rendered and e-mailed after commit, by one task; rows of the outbox, written with the
    # document, so a lost task is made up for by the outbox's periodic job.
    payload = {"document_pk": document.pk}
    enqueue(
        Outgoing(kind=OutboxKind.DOCUMENT_PDF, member_id=document.member_id, payload=payload),
        Outgoing(kind=OutboxKind.DOCUMENT_EMAIL, member_id=document.member_id, payload=payload),
        now=now,
    )
    return document
