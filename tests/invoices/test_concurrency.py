"""Gap-free, duplicate-free numbers under concurrent issuers and rollbacks (PostgreSQL)."""

import pytest
from django.db import transaction

from invoices.models import Document, DocumentKind, InvoiceSeries
from invoices.services import issue_invoice_for_payment
from tests.invoices.helpers import NOW, make_payment, make_seller, run_concurrently


class BillingFailedError(Exception):
    pass


def _numbers() -> list[str]:
    return list(Document.objects.order_by("sequence").values_list("number", flat=True))


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_issuers_get_twenty_consecutive_numbers(postgres_only):
    make_seller()
    payments = [make_payment() for _ in range(20)]

    def issue(index: int) -> str:
        with transaction.atomic():  # billing's transaction that records the payment
            return issue_invoice_for_payment(payment=payments[index], now=NOW).number

    results, errors = run_concurrently(issue, times=20)

    assert errors == []
    expected = [f"RE-2026-{n:06d}" for n in range(1, 21)]
    assert sorted(results) == expected
    assert _numbers() == expected
    assert InvoiceSeries.objects.get(kind=DocumentKind.INVOICE, year=2026).last_number == 20


@pytest.mark.django_db(transaction=True)
def test_rolled_back_issues_leave_no_gap_among_concurrent_issuers(postgres_only):
    make_seller()
    payments = [make_payment() for _ in range(20)]

    def issue(index: int) -> str:
        with transaction.atomic():
            number = issue_invoice_for_payment(payment=payments[index], now=NOW).number
            if index % 5 == 0:  # 4 of 20 fail after taking a number
                raise BillingFailedError(number)
        return number

    results, errors = run_concurrently(issue, times=20)

    assert len(errors) == 4
    assert all(isinstance(error, BillingFailedError) for error in errors)
    expected = [f"RE-2026-{n:06d}" for n in range(1, 17)]
    assert sorted(results) == expected
    assert _numbers() == expected
    assert InvoiceSeries.objects.get(kind=DocumentKind.INVOICE, year=2026).last_number == 16


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_issue_leaves_no_gap(postgres_only):
    make_seller()
    with pytest.raises(BillingFailedError), transaction.atomic():  # noqa: PT012 - the rollback is the test
        issue_invoice_for_payment(payment=make_payment(), now=NOW)
        raise BillingFailedError

    with transaction.atomic():
        after = issue_invoice_for_payment(payment=make_payment(), now=NOW)

    assert after.number == "RE-2026-000001"
    assert _numbers() == ["RE-2026-000001"]
