"""Digistore24 IPN: verify ``sha_sign`` and turn IPNs into the same domain events as Stripe.

This is the only module that reads an IPN field. The contract we implement (request, signature
with test vectors, events, fields, idempotency key, response): ``shared/providers/digistore24.md``.

- An IPN is a form-encoded POST. The raw body is parsed once with blank values kept, and the
  signature is checked on exactly those values (never re-encoded).
- The stored payload is ``{"fields": {...as received...}, "received_at": ISO time}``: the receipt
  time dates events that carry no date of their own.
- Digistore24 writes local German times without an offset, the day and the time of day in two
  fields (``transaction_date`` ``2025-03-01``, ``transaction_time`` ``14:30:00``; a date field
  that holds both is read too), and plain days (``next_payment_at``); we read them in
  ``Europe/Berlin``. The time of day orders two events of one day (a payment, then its refund).
  A paid period runs until local midnight of ``next_payment_at`` (the day of the next charge);
  the grace period covers retries.
- ``api_mode`` (``live``/``test``) marks orders and grants as test mode. Unlike Stripe, there is
  no site mode to compare it with (no API key tells a live site from a test one), and a vendor's
  test purchase is how Digistore24 connections are checked, so test IPNs are applied.
- Ids: one Digistore24 order (``order_id``) can hold a main product and upsells, each with its own
  IPNs, so our order and subscription reference is ``order_id:product_id`` (one purchase per
  item); a payment is its ``transaction_id`` (``<purchase>-pay_sequence_no`` if an IPN lacks one),
  and a refund or chargeback names the payment it reverses by ``parent_transaction_id``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import wraps
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from billing.providers import secrets
from billing.providers.base import (
    Buyer,
    CancelledAtPeriodEnd,
    ChargedBack,
    DomainEvent,
    Ignored,
    InvalidDelivery,
    PaymentFailed,
    PaymentSucceeded,
    Refunded,
    SubscriptionEnded,
    SubscriptionRenewed,
    SubscriptionResumed,
    VerifiedDelivery,
)
from products.money import ZERO_DECIMAL_CURRENCIES

NAME = "digistore24"
TIME_ZONE = ZoneInfo("Europe/Berlin")
SIGNATURE_FIELDS = ("sha_sign", "SHASIGN")
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
MAX_FIELDS = 1000
MONEY_EVENTS = frozenset({"on_payment", "on_refund", "on_chargeback"})
EMPTY_DATE_PREFIX = "0000-00-00"
TRANSACTION_TIME = ("transaction_date", "transaction_time")
ORDER_TIME = ("order_date", "order_time")
MAX_URL_LENGTH = 500  # the length of Order's URL columns


# --- signature ---------------------------------------------------------------------------------


def signature(
    fields: Mapping[str, str] | Iterable[tuple[str, str]],
    passphrase: str,
    *,
    upper_keys: bool = False,
) -> str:
    """``sha_sign`` as Digistore24 computes it: uppercase hex SHA-512 (128 characters).

    Every field but ``sha_sign``/``SHASIGN`` whose value is not empty, sorted by key (byte
    order), joined as ``KEY=VALUE<passphrase>``. ``upper_keys`` is the reference code's variant
    that upper-cases keys before sorting and joining.
    """
    pairs = fields.items() if isinstance(fields, Mapping) else fields
    kept = [
        (key.upper() if upper_keys else key, value)
        for key, value in pairs
        if key not in SIGNATURE_FIELDS and value != ""
    ]
    kept.sort(key=lambda pair: pair[0])
    joined = "".join(f"{key}={value}{passphrase}" for key, value in kept)
    return hashlib.sha512(joined.encode("utf-8")).hexdigest().upper()


def signature_matches(pairs: list[tuple[str, str]], given: str, passphrase: str) -> bool:
    """Constant-time comparison, case-insensitive on the hex; both key variants are accepted."""
    given_bytes = given.strip().upper().encode("utf-8")
    matches = [
        hmac.compare_digest(
            signature(pairs, passphrase, upper_keys=upper).encode("ascii"), given_bytes
        )
        for upper in (False, True)
    ]
    return any(matches)


def parse_form(body: bytes) -> list[tuple[str, str]]:
    """The body's fields in order, blank values kept; InvalidDelivery if it is not a form."""
    try:
        text = body.decode("utf-8")
        return parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=bool(text),
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except ValueError as error:  # UnicodeDecodeError is a ValueError
        raise InvalidDelivery(f"the body is not a UTF-8 form: {error}") from None


def idempotency_key(fields: Mapping[str, str]) -> str:
    """The contract's key: money events by (event, transaction_id); others by order, product, date.

    Keys longer than the column are shortened to a digest of themselves.
    """
    event = fields.get("event", "")
    transaction_id = fields.get("transaction_id", "")
    if event in MONEY_EVENTS and transaction_id:
        key = f"{event}:{transaction_id}"
    else:
        day = fields.get("transaction_date", "") or fields.get("next_payment_at", "")
        parts = [event, fields.get("order_id", ""), fields.get("product_id", "")]
        if event in MONEY_EVENTS:
            parts.append(fields.get("pay_sequence_no", ""))
        key = ":".join([*parts, day])
    if len(key) > 255:
        key = f"{event[:40]}:sha256:{hashlib.sha256(key.encode('utf-8')).hexdigest()}"
    return key


# --- the provider ------------------------------------------------------------------------------


class Digistore24Provider:
    name = NAME

    def verify(self, request: HttpRequest) -> VerifiedDelivery:
        configured = secrets.digistore24_passphrase()
        if not configured.secrets:
            raise InvalidDelivery(
                configured.refusal("Digistore24 IPN"), status=403, misconfigured=True
            )
        (passphrase,) = configured.secrets
        if request.content_type != FORM_CONTENT_TYPE:
            raise InvalidDelivery(
                f"an IPN is {FORM_CONTENT_TYPE}, not {request.content_type or '(none)'}",
                status=415,
            )
        pairs = parse_form(request.body)
        keys = [key for key, _value in pairs]
        if len(set(keys)) != len(keys):
            raise InvalidDelivery("a field is repeated in the IPN")
        fields = dict(pairs)
        given = fields.get("sha_sign") or fields.get("SHASIGN") or ""
        if not given:
            raise InvalidDelivery("no sha_sign in the IPN")
        if not signature_matches(pairs, given, passphrase):
            raise InvalidDelivery("wrong sha_sign", status=403)
        return VerifiedDelivery(
            event_id=idempotency_key(fields),
            event_type=fields.get("event", "") or "(none)",
            payload={"fields": fields, "received_at": timezone.now().isoformat()},
            is_test=fields.get("api_mode", "") == "test",
        )

    def acknowledge(self, delivery: VerifiedDelivery) -> HttpResponse:
        """``OK``, then the member area as ``loginurl`` (shown on Digistore24's thank-you page)."""
        body = f"OK\nloginurl: {settings.SITE_URL}/members/\n"
        return HttpResponse(body, content_type="text/plain; charset=utf-8")

    def payment_ref_for(self, *, payment_intent_ref: str) -> str:
        return ""  # every IPN names its transaction and order

    def to_domain_events(self, payload: dict) -> list[DomainEvent]:
        ipn = Ipn(payload)
        event = ipn.text("event")
        handler = HANDLERS.get(event)
        if handler is None:
            return [Ignored(f"Digistore24 event {event or '(none)'!r} is not used")]
        return handler(ipn)


def answer_registration_check(view: Callable[[HttpRequest], HttpResponse]):
    """Digistore24 checks a new IPN URL with a GET and needs 200 ``OK``; nothing is read or kept."""

    @wraps(view)
    def ipn_view(request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD"):
            return HttpResponse("OK", content_type="text/plain; charset=utf-8")
        return view(request)

    return csrf_exempt(ipn_view)


# --- reading fields ----------------------------------------------------------------------------


class Ipn:
    """Typed access to a stored IPN's fields; a malformed value raises ValueError naming it."""

    def __init__(self, payload: dict) -> None:
        self.fields: dict[str, str] = payload.get("fields") or {}
        self.received_at = datetime.fromisoformat(payload["received_at"])

    def text(self, name: str) -> str:
        return str(self.fields.get(name, "")).strip()

    def required(self, name: str) -> str:
        value = self.text(name)
        if not value:
            raise ValueError(f"Digistore24 field {name} is empty")
        return value

    def amount(self, name: str, currency: str) -> int:
        """Minor units of a decimal string (``49.00``, ``-49.00`` for refunds, as positive)."""
        value = self.required(name)
        exponent = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = Decimal("NaN")
        minor = abs(number).scaleb(exponent) if number.is_finite() else None
        if minor is None or minor != minor.to_integral_value():
            raise ValueError(f"Digistore24 field {name} is not an amount: {value!r}")
        return int(minor)

    def currency(self) -> str:
        value = self.text("transaction_currency") or self.required("currency")
        if len(value) != 3 or not value.isalpha():
            raise ValueError(f"Digistore24 field currency is not a currency code: {value!r}")
        return value.upper()

    def moment(self, *pairs: tuple[str, str]) -> datetime:
        """The first (date field, time field) pair whose date is set, in local German time;
        else the time of receipt.

        Digistore24 sends the day and the time of day in two fields (``transaction_date``
        ``2025-03-01`` and ``transaction_time`` ``14:30:00``); a date field that already holds
        a time (``2025-03-01 14:30:00``) is read as it is. Without the time, two events of one
        day would look simultaneous and their order would be lost.
        """
        for date_name, time_name in pairs:
            value = self.text(date_name)
            if not value or value.startswith(EMPTY_DATE_PREFIX):
                continue
            clock = self.text(time_name)
            if clock and _is_plain_day(value):
                return _local_datetime(f"{date_name} and {time_name}", f"{value} {clock}")
            return _local_datetime(date_name, value)
        return self.received_at

    def transaction_moment(self) -> datetime:
        """When this transaction (payment, refund, chargeback, …) happened."""
        return self.moment(TRANSACTION_TIME)

    def period_end(self) -> datetime | None:
        """Local midnight of ``next_payment_at`` (the next charge), None if it is not set."""
        value = self.text("next_payment_at")
        if not value or value.startswith(EMPTY_DATE_PREFIX):
            return None
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            raise ValueError(
                f"Digistore24 field next_payment_at is not a date: {value!r}"
            ) from None
        return datetime.combine(day, time.min, tzinfo=TIME_ZONE).astimezone(UTC)

    def sequence(self) -> int:
        """``pay_sequence_no``: 0 single payment, 1 first payment of a plan, 2+ rebills."""
        value = self.text("pay_sequence_no")
        if not value:
            return 0 if self.text("billing_type") in ("", "single_payment") else 1
        if not value.isdigit():
            raise ValueError(f"Digistore24 field pay_sequence_no is not a number: {value!r}")
        return int(value)

    def purchase_ref(self) -> str:
        """Our order and subscription reference: the item ``product_id`` within ``order_id``."""
        return f"{self.required('order_id')}:{self.required('product_id')}"

    def payment_ref(self) -> str:
        return self.text("transaction_id") or f"{self.purchase_ref()}-{self.sequence()}"

    def url(self, name: str) -> str:
        """A URL field as sent, or "" if it does not fit our column (checked again when shown)."""
        value = self.text(name)
        return value if len(value) <= MAX_URL_LENGTH else ""

    def buyer(self) -> Buyer:
        email = self.text("email") or self.text("buyer_email") or self.text("address_email")
        if not email:
            raise ValueError("Digistore24 fields email and buyer_email are empty")
        first = self.text("buyer_first_name") or self.text("address_first_name")
        last = self.text("buyer_last_name") or self.text("address_last_name")
        street = self.text("address_street") or " ".join(
            filter(None, [self.text("address_street_name"), self.text("address_street_number")])
        )
        city = " ".join(filter(None, [self.text("address_zipcode"), self.text("address_city")]))
        lines = [self.text("address_company"), street, self.text("address_street2"), city]
        return Buyer(
            email=email,
            name=" ".join(filter(None, [first, last])),
            address=tuple(line for line in lines if line),
            country=self.text("address_country").upper(),
            vat_id=self.text("address_tax_id"),
            language=self.text("language"),
        )


def _is_plain_day(value: str) -> bool:
    """``2025-03-01`` (a day without a time of day)."""
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _local_datetime(name: str, value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"Digistore24 field {name} is not a date and time: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=TIME_ZONE)
    return parsed.astimezone(UTC)


# --- events ------------------------------------------------------------------------------------


def _payment(ipn: Ipn) -> list[DomainEvent]:
    """A first payment (or single purchase), or a rebill / instalment of a known plan."""
    purchase_ref = ipn.purchase_ref()
    currency = ipn.currency()
    amount = _amount(ipn, currency)
    occurred_at = ipn.moment(TRANSACTION_TIME, ORDER_TIME)
    sequence = ipn.sequence()
    is_plan = sequence >= 1 and ipn.text("billing_type") != "single_payment"
    paid_through = ipn.period_end() if is_plan else None
    if is_plan and paid_through is None and ipn.text("billing_type") != "installment":
        # A subscription payment always names the next charge; only a plan's last instalment
        # (paid in full: lifetime access) comes without one.
        raise ValueError("Digistore24 field next_payment_at is empty on a subscription payment")
    if sequence >= 2 and paid_through is not None:
        return [
            SubscriptionRenewed(
                provider=NAME,
                provider_ref=ipn.payment_ref(),
                subscription_ref=purchase_ref,
                occurred_at=occurred_at,
                amount=amount,
                currency=currency,
                paid_through=paid_through,
                receipt_url=ipn.url("receipt_url"),
                rebilling_stop_url=ipn.url("rebilling_stop_url"),
            )
        ]
    return [
        PaymentSucceeded(
            provider=NAME,
            provider_ref=ipn.payment_ref(),
            order_ref=purchase_ref,
            occurred_at=occurred_at,
            buyer=ipn.buyer(),
            price_refs=(ipn.required("product_id"),),
            amount=amount,
            currency=currency,
            paid_through=paid_through,
            subscription_ref=purchase_ref if is_plan else "",
            is_test=ipn.text("api_mode") == "test",
            invoice_url=ipn.url("invoice_url"),
            receipt_url=ipn.url("receipt_url"),
            rebilling_stop_url=ipn.url("rebilling_stop_url"),
            replaces_order_ref=_upgraded_ref(ipn),
        )
    ]


def _upgraded_ref(ipn: Ipn) -> str:
    """The purchase an upgrade (or any plan switch) replaces: ``upgraded_order_id`` and
    ``upgraded_product_id``; "order:" (any item of that order) if the product is not named."""
    order_id = ipn.text("upgraded_order_id")
    if not order_id:
        return ""
    return f"{order_id}:{ipn.text('upgraded_product_id')}"


def _payment_failed(ipn: Ipn) -> list[DomainEvent]:
    reason = "payment denied" if ipn.text("event") == "payment_denial" else "payment missed"
    return [
        PaymentFailed(
            provider=NAME,
            subscription_ref=ipn.purchase_ref(),
            occurred_at=ipn.transaction_moment(),
            reason=f"Digistore24: {reason}",
        )
    ]


def _rebill_cancelled(ipn: Ipn) -> list[DomainEvent]:
    return [
        CancelledAtPeriodEnd(
            provider=NAME,
            subscription_ref=ipn.purchase_ref(),
            occurred_at=ipn.transaction_moment(),
            period_end=ipn.period_end(),
        )
    ]


def _rebill_resumed(ipn: Ipn) -> list[DomainEvent]:
    return [
        SubscriptionResumed(
            provider=NAME,
            subscription_ref=ipn.purchase_ref(),
            occurred_at=ipn.transaction_moment(),
        )
    ]


def _last_paid_day(ipn: Ipn) -> list[DomainEvent]:
    return [
        SubscriptionEnded(
            provider=NAME,
            subscription_ref=ipn.purchase_ref(),
            occurred_at=ipn.transaction_moment(),
            reason="Digistore24: last paid day",
        )
    ]


def _reversed_payment_ref(ipn: Ipn) -> str:
    """The payment a refund or chargeback reverses; the purchase's latest one if not named."""
    return ipn.text("parent_transaction_id") or ipn.purchase_ref()


def _amount(ipn: Ipn, currency: str) -> int:
    """What moved (``transaction_amount``), else the order's ``amount``."""
    name = "transaction_amount" if ipn.text("transaction_amount") else "amount"
    return ipn.amount(name, currency)


def _refund(ipn: Ipn) -> list[DomainEvent]:
    # Digistore24 refunds a transaction in full; the amount is informational (the payment's own).
    has_amount = bool(ipn.text("transaction_amount") or ipn.text("amount"))
    amount = _amount(ipn, ipn.currency()) if has_amount else 0
    return [
        Refunded(
            provider=NAME,
            occurred_at=ipn.transaction_moment(),
            amount_refunded=amount,
            is_full=True,
            payment_ref=_reversed_payment_ref(ipn),
        )
    ]


def _chargeback(ipn: Ipn) -> list[DomainEvent]:
    # Digistore24 reports a chargeback once the money is gone: a closed, lost dispute.
    return [
        ChargedBack(
            provider=NAME,
            occurred_at=ipn.transaction_moment(),
            is_closed=True,
            outcome="lost",
            payment_ref=_reversed_payment_ref(ipn),
        )
    ]


HANDLERS: dict[str, Callable[[Ipn], list[DomainEvent]]] = {
    "on_payment": _payment,
    "on_payment_missed": _payment_failed,
    "payment_denial": _payment_failed,
    "on_rebill_cancelled": _rebill_cancelled,
    "on_rebill_resumed": _rebill_resumed,
    "last_paid_day": _last_paid_day,
    "on_refund": _refund,
    "on_chargeback": _chargeback,
}
