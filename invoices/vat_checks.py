"""The reverse-charge check of a business buyer's VAT id, and the invoice that waits for it.

A buyer in another EU member state who gave a VAT id at checkout is a business only once the
id is confirmed: first offline (format and check digit, python-stdnum), then by VIES. Until
VIES answers, the payment's invoice waits as a ``PendingDocument`` (the order, payment and
access are recorded as usual). The check runs after commit (``invoices.tasks.check_vat_id``)
and again from the beat job while VIES is down; whichever run comes first issues the invoice,
and the pending row's lock makes sure only one does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction

from invoices.models import PendingDocument, SellerSettings, VatIdCheck
from invoices.vies import Outcome, ViesAnswer, check_vies, format_problem, vat_id_country

if TYPE_CHECKING:
    from billing.models import Payment

FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=6)
BATCH = 100


def reverse_charge_country(*, seller: SellerSettings, buyer: dict) -> str:
    """The member state of the buyer's VAT id if it could make the sale reverse charge, else ""
    (no id, a non-EU id, an id of the seller's own country, or a § 19 small business)."""
    vat_id = buyer.get("vat_id") or ""
    if seller.small_business or not vat_id:
        return ""
    country = vat_id_country(vat_id)
    return country if country and country != seller.country.upper() else ""


def ensure_vat_id_check(
    *, payment: Payment, seller: SellerSettings, buyer: dict, now: datetime
) -> VatIdCheck | None:
    """The payment's check, started once (call inside the issuing transaction); None when the
    sale needs none. An id with a wrong format or check digit is refused at once; any other
    id is sent to VIES after commit."""
    country = reverse_charge_country(seller=seller, buyer=buyer)
    if not country:
        return None
    vat_id = buyer["vat_id"]
    check, created = VatIdCheck.objects.get_or_create(
        payment=payment,
        defaults={"vat_id": vat_id[:40], "country": country, "created_at": now},
    )
    if not created:
        return check
    problem = format_problem(vat_id)
    if problem:
        check.status = VatIdCheck.Status.INVALID
        check.reason = problem
        check.checked_at = now
        check.save(update_fields=["status", "reason", "checked_at"])
    else:
        from invoices import tasks

        check.next_attempt_at = now
        check.save(update_fields=["next_attempt_at"])
        transaction.on_commit(partial(tasks.check_vat_id.delay, check.pk))
    return check


def confirmed_business_country(check: VatIdCheck | None) -> str:
    return check.country if check is not None and check.status == VatIdCheck.Status.VALID else ""


def run_vat_id_check(*, check_pk: int, now: datetime) -> VatIdCheck:
    """Ask VIES unless the check is decided, record the answer, then issue the payment's
    waiting documents. VIES is asked outside any transaction (it may take seconds); running
    this twice at once asks twice but records one answer and issues one invoice."""
    check = VatIdCheck.objects.get(pk=check_pk)
    if check.status == VatIdCheck.Status.PENDING:
        check = _record_answer(check_pk=check_pk, answer=check_vies(check.vat_id), now=now)
    if check.status != VatIdCheck.Status.PENDING:
        from invoices.services import issue_documents_of_payment

        issue_documents_of_payment(payment_pk=check.payment_id, now=now)
    return check


def _retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


@transaction.atomic
def _record_answer(*, check_pk: int, answer: ViesAnswer, now: datetime) -> VatIdCheck:
    check = VatIdCheck.objects.select_for_update().get(pk=check_pk)
    if check.status != VatIdCheck.Status.PENDING:
        return check  # another run recorded an answer first
    check.attempts += 1
    check.reason = answer.reason
    if answer.outcome == Outcome.UNREACHABLE:
        check.next_attempt_at = now + _retry_delay(check.attempts)
    else:
        is_valid = answer.outcome == Outcome.VALID
        check.status = VatIdCheck.Status.VALID if is_valid else VatIdCheck.Status.INVALID
        check.checked_at = now
        check.next_attempt_at = None
        check.request_identifier = answer.request_identifier[:100]
        check.registered_name = answer.name[:300]
        check.registered_address = answer.address
    check.save()
    return check


def retry_vat_id_checks(*, now: datetime) -> int:
    """The beat job: every check whose retry time has come, and every decided check whose
    invoice is still waiting (a run that stopped between the two steps). Returns how many."""
    due = list(
        VatIdCheck.objects.filter(status=VatIdCheck.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    waiting_payments = PendingDocument.objects.filter(document__isnull=True).values("payment_id")
    stuck = list(
        VatIdCheck.objects.exclude(status=VatIdCheck.Status.PENDING)
        .filter(payment_id__in=waiting_payments)
        .values_list("pk", flat=True)[:BATCH]
    )
    for pk in due + stuck:
        run_vat_id_check(check_pk=pk, now=now)
    return len(due) + len(stuck)


def describe_check(check: VatIdCheck | None) -> str:
    """One line for the admin: the result, and why an id was refused or is still waiting."""
    from django.utils.translation import gettext as _

    if check is None:
        return "—"
    if check.status == VatIdCheck.Status.VALID:
        return _("%(vat_id)s valid (VIES %(identifier)s): reverse charge") % {
            "vat_id": check.vat_id,
            "identifier": check.request_identifier or "—",
        }
    if check.status == VatIdCheck.Status.INVALID:
        return _("%(vat_id)s refused, taxed as a consumer: %(reason)s") % {
            "vat_id": check.vat_id,
            "reason": check.reason,
        }
    return _("%(vat_id)s waiting for VIES (%(count)d attempts): %(reason)s") % {
        "vat_id": check.vat_id,
        "count": check.attempts,
        "reason": check.reason or "—",
    }
