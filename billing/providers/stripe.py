"""Stripe: verify webhook deliveries and turn event payloads into domain events.

This is the only module that reads a Stripe payload. Both the older API shapes and the 2025+
("basil") shapes are accepted: a line's price is ``price.id`` or ``pricing.price_details.price``,
an invoice's subscription is top-level or under ``parent.subscription_details``, and a
subscription's period end is on the subscription or on its items. Stripe's API is asked only
where an event lacks what is needed (a Checkout Session without ``metadata.price_id``, an invoice
without the buyer's e-mail).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import stripe
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from billing import stripe_api
from billing.providers import secrets
from billing.providers.base import (
    AppliedDiscount,
    BumpLine,
    Buyer,
    ChargedBack,
    CheckoutCompleted,
    DomainEvent,
    Ignored,
    InvalidDelivery,
    PaymentFailed,
    PaymentSucceeded,
    Refunded,
    SubscriptionEnded,
    SubscriptionUpdated,
    VerifiedDelivery,
    WaiverConsent,
)

NAME = "stripe"
SIGNATURE_TOLERANCE_SECONDS = 300


def webhook_secrets() -> list[str]:
    """The usable signing secrets; several (comma-separated) while rotating."""
    return list(secrets.stripe_webhook_secrets().secrets)


LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")


def site_is_live() -> bool:
    """A live site has a live API key (``sk_live_…`` or a restricted ``rk_live_…``); a test key
    or no key at all (the offline test checkout) makes a test site."""
    return settings.STRIPE_SECRET_KEY.strip().startswith(LIVE_KEY_PREFIXES)


def _short(value: object) -> str:
    return str(value)[:80]


def foreign_event_reason(payload: dict) -> str:
    """Why an event from the other mode or from another account is not applied; "" if ours.

    A live site applies only live events (``livemode: true``) and a test or offline site only
    test events. An event that names an ``account`` comes from a connected account (a Connect
    endpoint): it is applied only when ``STRIPE_ACCOUNT_ID`` names that account. Events without
    ``account`` are the endpoint owner's own and are applied.
    """
    is_live_event = payload.get("livemode") is True
    if site_is_live() and not is_live_event:
        return "test-mode event (livemode false) on a live site (live STRIPE_SECRET_KEY): ignored"
    if is_live_event and not site_is_live():
        return (
            "live event (livemode true) on a test or offline site (STRIPE_SECRET_KEY is not a "
            "live key): ignored"
        )
    account = payload.get("account")
    if not account:
        return ""
    expected = settings.STRIPE_ACCOUNT_ID
    if not expected:
        return f"event of connected account {_short(account)}: ignored (STRIPE_ACCOUNT_ID is unset)"
    if account != expected:
        return f"event of account {_short(account)}, not STRIPE_ACCOUNT_ID {expected}: ignored"
    return ""


def _timestamp(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(int(value), tz=UTC)


def _ref(value: object) -> str:
    """An id from a field that holds either the id or the expanded object."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))


class StripeProvider:
    name = NAME

    def verify(self, request: HttpRequest) -> VerifiedDelivery:
        configured = secrets.stripe_webhook_secrets()
        if not configured.secrets:
            # 503: Stripe retries for three days, so deliveries arrive once the secret is fixed.
            raise InvalidDelivery(
                configured.refusal("Stripe delivery"), status=503, misconfigured=True
            )
        header = request.headers.get("Stripe-Signature", "")
        if not header:
            raise InvalidDelivery("no Stripe-Signature header")
        if not header.isascii():
            # Stripe's comparison raises TypeError on non-ASCII text; a real header is ASCII.
            raise InvalidDelivery("bad Stripe-Signature: not ASCII")
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidDelivery("the body is not UTF-8") from None
        problem = ""
        for secret in configured.secrets:
            try:
                stripe.WebhookSignature.verify_header(
                    body, header, secret, SIGNATURE_TOLERANCE_SECONDS
                )
                break
            except stripe.SignatureVerificationError as error:
                problem = str(error)
        else:
            raise InvalidDelivery(f"bad Stripe-Signature: {problem}")
        return VerifiedDelivery(**_parse_event(body))

    def acknowledge(self, delivery: VerifiedDelivery) -> HttpResponse:
        return JsonResponse({"received": True})

    def payment_ref_for(self, *, payment_intent_ref: str) -> str:
        """The invoice a payment intent paid. Since API 2025-03-31 an invoice event names no
        payment intent and a charge names no invoice, so a refund or dispute of a subscription
        payment is matched through Stripe's invoice payments."""
        if not payment_intent_ref or not stripe_api.is_configured():
            return ""
        return stripe_api.invoice_paid_by(payment_intent_ref)

    def to_domain_events(self, payload: dict) -> list[DomainEvent]:
        reason = foreign_event_reason(payload)
        if reason:
            return [Ignored(reason)]
        handler = HANDLERS.get(payload.get("type", ""))
        if handler is None:
            return [Ignored(f"Stripe event type {payload.get('type')!r} is not handled")]
        return handler(payload)


def _parse_event(body: str) -> dict:
    try:
        payload = json.loads(body)
    except ValueError:
        raise InvalidDelivery("the body is not JSON") from None
    except RecursionError:
        raise InvalidDelivery("the body is nested too deeply") from None
    if not (
        isinstance(payload, dict)
        and payload.get("object") == "event"
        and isinstance(payload.get("id"), str)
        and isinstance(payload.get("type"), str)
        and isinstance(payload.get("created"), int)
        and isinstance((payload.get("data") or {}).get("object"), dict)
    ):
        raise InvalidDelivery("the body is not a Stripe event")
    return {
        "event_id": payload["id"],
        "event_type": payload["type"],
        "payload": payload,
        "is_test": not payload.get("livemode", False),
    }


# --- Checkout Sessions ----------------------------------------------------------------------


def _address_lines(address: dict) -> list[str | None]:
    """A Stripe address as postal lines: street, extra line, postal code and city, state."""
    return [
        address.get("line1"),
        address.get("line2"),
        " ".join(filter(None, [address.get("postal_code"), address.get("city")])),
        address.get("state"),
    ]


def _vat_id(tax_ids: list) -> str:
    """The buyer's EU VAT id from Checkout's ``tax_id_collection`` (``type: eu_vat``), else the
    first tax id given (kept on the invoice; only an EU id can make the sale reverse charge)."""
    entries = [entry for entry in tax_ids if isinstance(entry, dict)]
    chosen = next((entry for entry in entries if entry.get("type") == "eu_vat"), None)
    chosen = chosen or (entries[0] if entries else {})
    return str(chosen.get("value") or "")


def _country(value: object) -> str:
    value = str(value or "").strip().upper()
    return value if len(value) == 2 and value.isalpha() else ""


def _card_country(session: dict) -> str:
    """The card's country, where the event carries the charge (an expanded payment intent)."""
    intent = session.get("payment_intent")
    charge = intent.get("latest_charge") if isinstance(intent, dict) else None
    details = charge.get("payment_method_details") if isinstance(charge, dict) else None
    card = (details or {}).get("card") or {}
    return _country(card.get("country"))


def _session_buyer(session: dict) -> Buyer:
    details = session.get("customer_details") or {}
    address = details.get("address") or {}
    lines = _address_lines(address)
    return Buyer(
        email=details.get("email") or session.get("customer_email") or "",
        name=details.get("name") or "",
        provider_customer_id=_ref(session.get("customer")),
        address=tuple(line for line in lines if line),
        country=_country(address.get("country")),
        vat_id=_vat_id(details.get("tax_ids") or []),
        language=_session_language(session),
        card_country=_card_country(session),
        # Our own checkout names the IP address's country (settings.IP_COUNTRY_HEADER).
        ip_country=_country((session.get("metadata") or {}).get("ip_country")),
    )


def _session_language(session: dict) -> str:
    """The language of the checkout page: our ``metadata.language``, else the session's locale."""
    language = (session.get("metadata") or {}).get("language") or session.get("locale") or ""
    return "" if language == "auto" else language


def _session_price_refs(session: dict) -> tuple[str, ...]:
    price_id = (session.get("metadata") or {}).get("price_id")
    if price_id:
        return (price_id,)
    if not stripe_api.is_configured():
        raise ValueError(
            f"Checkout Session {session['id']} names no price: metadata.price_id is missing and "
            "STRIPE_SECRET_KEY is unset, so its line items cannot be fetched"
        )
    refs = stripe_api.checkout_line_item_price_ids(session["id"])
    if not refs:
        raise ValueError(f"Checkout Session {session['id']} has no line item with a price")
    return refs


def _session_waiver(session: dict, *, occurred_at: datetime) -> WaiverConsent | None:
    """The withdrawal-right waiver: our session asked for it (``metadata.withdrawal_waiver``
    names the text's version, shown as the terms-of-service checkbox) and Stripe reports the
    box ticked (``consent.terms_of_service == "accepted"``). Stripe does not tell the IP."""
    version = str((session.get("metadata") or {}).get("withdrawal_waiver") or "")
    accepted = (session.get("consent") or {}).get("terms_of_service") == "accepted"
    if not version or not accepted:
        return None
    ip = str((session.get("metadata") or {}).get("withdrawal_waiver_ip") or "")
    return WaiverConsent(version=version[:40], at=occurred_at, ip=ip[:45])


def _invoice_waiver(invoice: dict, *, occurred_at: datetime) -> WaiverConsent | None:
    """A subscription's first invoice may arrive before its Checkout Session: our session
    copies the waiver's version into the subscription's metadata, and a session that requires
    the terms-of-service consent cannot be completed without it, so that first invoice carries
    the waiver too. Later invoices (renewals) need none."""
    if invoice.get("billing_reason") != "subscription_create":
        return None
    version = str(_invoice_subscription_metadata(invoice).get("withdrawal_waiver") or "")
    return WaiverConsent(version=version[:40], at=occurred_at) if version else None


def _checkout_completed(event: dict) -> list[DomainEvent]:
    session = event["data"]["object"]
    occurred_at = _timestamp(event["created"])
    mode = session.get("mode")
    if mode == "subscription":
        subscription_ref = _ref(session.get("subscription"))
        if not subscription_ref:
            return [Ignored("subscription checkout without a subscription")]
        # The subscription's invoice (invoice.paid) carries price, amount and period.
        return [
            CheckoutCompleted(
                NAME, session["id"], subscription_ref, occurred_at,
                waiver=_session_waiver(session, occurred_at=occurred_at),
            )
        ]  # fmt: skip
    if mode != "payment":
        return [Ignored(f"checkout mode {mode!r} grants nothing")]
    if session.get("payment_status") == "unpaid":
        return [Ignored("payment still pending (delayed method): waiting for async success")]
    # With invoice creation on (a Payment Link with "create invoice", say) the same purchase
    # also arrives as invoice.paid of that invoice: both are keyed by the invoice, so they make
    # one order and one payment whichever comes first.
    invoice_ref = _ref(session.get("invoice"))
    purchase_ref = invoice_ref or session["id"]
    linked = (
        [CheckoutCompleted(NAME, session["id"], invoice_ref, occurred_at)] if invoice_ref else []
    )
    return [
        PaymentSucceeded(
            provider=NAME,
            provider_ref=purchase_ref,
            order_ref=purchase_ref,
            occurred_at=occurred_at,
            buyer=_session_buyer(session),
            price_refs=_session_price_refs(session),
            amount=int(session.get("amount_total") or 0),
            currency=(session.get("currency") or "").upper(),
            paid_through=None,
            payment_intent_ref=_ref(session.get("payment_intent")),
            is_test=not event.get("livemode", False),
            upgrade_offer=(session.get("metadata") or {}).get("upgrade_offer") or "",
            **_store_credit(session.get("metadata") or {}),
            discount=_session_discount(session),
            bump=_session_bump(session),
            waiver=_session_waiver(session, occurred_at=occurred_at),
        ),
        *linked,
    ]


def _session_bump(session: dict) -> BumpLine | None:
    """The order bump our checkout added as a second line (``offers.bumps``), from our session
    metadata: Stripe's event carries no line items, and the metadata needs no API call."""
    metadata = session.get("metadata") or {}
    bump_id = str(metadata.get("bump_id") or "")
    try:
        amount = int(metadata.get("bump_amount") or 0)
    except (TypeError, ValueError):
        amount = 0
    if not bump_id or amount <= 0:
        return None
    if amount > int(session.get("amount_subtotal") or 0):
        raise ValueError(f"Checkout Session {session['id']}: its bump line exceeds its subtotal")
    return BumpLine(bump_id=bump_id[:20], amount=amount)


def _store_credit(metadata: dict) -> dict:
    """The store credit our own Checkout Session applied (``billing.services.checkout``)."""
    try:
        amount = int(metadata.get("store_credit") or 0)
    except (TypeError, ValueError):
        amount = 0
    key = str(metadata.get("store_credit_key") or "")
    if amount <= 0 or not key:
        return {}
    return {
        "store_credit": amount,
        "store_credit_key": key[:100],
        "store_credit_member": str(metadata.get("store_credit_member") or ""),
    }


# --- Discounts (coupons) ----------------------------------------------------------------------
# A Checkout Session reports ``total_details.amount_discount`` and ``discounts[]`` of
# ``{coupon, promotion_code}`` (ids, or objects when expanded) in every API version. An invoice
# reports ``total_discount_amounts[]`` and ``discounts[]`` (ids of discount objects unless
# expanded); before 2025-03-31 it also had the single expanded ``discount`` object, whose coupon
# is ``coupon`` (an object), and since 2025 a discount object names it under ``source.coupon``.
# Our own checkout also writes the code into the metadata (``coupon_code``), which the invoice
# carries in its subscription details; that is how a 2025 invoice event names our coupon.


def _coupon_code(metadata: dict) -> str:
    return str(metadata.get("coupon_code") or "")[:100]


def _discount_refs(entries: Iterable) -> tuple[str, str]:
    """The first (coupon, promotion code) pair named by discount entries."""
    for entry in entries:
        if not isinstance(entry, dict):
            continue  # an unexpanded discount id (di_…) names neither
        coupon = entry.get("coupon") or (entry.get("source") or {}).get("coupon")
        if coupon or entry.get("promotion_code"):
            return _ref(coupon), _ref(entry.get("promotion_code"))
    return "", ""


def _discount(
    amount: int, subtotal: int, metadata: dict, entries: Iterable
) -> AppliedDiscount | None:
    """A coupon's discount; none when nothing was taken off, or when the only discount is the
    store credit our checkout applied (``billing.services.checkout``: its own ledger)."""
    code = _coupon_code(metadata)
    if amount <= 0 or (metadata.get("store_credit") and not code):
        return None
    coupon_ref, promotion_code_ref = _discount_refs(entries)
    return AppliedDiscount(amount, subtotal, code, coupon_ref, promotion_code_ref)


def _session_discount(session: dict) -> AppliedDiscount | None:
    amount = int((session.get("total_details") or {}).get("amount_discount") or 0)
    subtotal = int(session.get("amount_subtotal") or 0)
    return _discount(
        amount, subtotal, session.get("metadata") or {}, session.get("discounts") or []
    )


def _invoice_discount(invoice: dict) -> AppliedDiscount | None:
    amount = sum(
        int(entry.get("amount") or 0) for entry in invoice.get("total_discount_amounts") or []
    )
    subtotal = int(invoice.get("subtotal") or (int(invoice.get("amount_paid") or 0) + amount))
    entries = [invoice.get("discount"), *(invoice.get("discounts") or [])]
    return _discount(amount, subtotal, _invoice_subscription_metadata(invoice), entries)


def _async_payment_failed(event: dict) -> list[DomainEvent]:
    return [Ignored("the delayed payment failed: nothing was granted")]


# --- Invoices -------------------------------------------------------------------------------


def _line_price_ref(line: dict) -> str:
    price = line.get("price")
    if price:
        return _ref(price)
    details = (line.get("pricing") or {}).get("price_details") or {}
    if details.get("price"):
        return _ref(details["price"])
    return _ref(line.get("plan"))


def _invoice_subscription_ref(invoice: dict) -> str:
    if invoice.get("subscription"):
        return _ref(invoice["subscription"])
    parent = invoice.get("parent") or {}
    return _ref((parent.get("subscription_details") or {}).get("subscription"))


def _invoice_payment_intent_ref(invoice: dict) -> str:
    if invoice.get("payment_intent"):
        return _ref(invoice["payment_intent"])
    for entry in (invoice.get("payments") or {}).get("data") or []:
        payment = entry.get("payment") or {}
        if payment.get("payment_intent"):
            return _ref(payment["payment_intent"])
    return ""


def _invoice_buyer(invoice: dict) -> Buyer:
    email = invoice.get("customer_email") or ""
    name = invoice.get("customer_name") or ""
    customer_ref = _ref(invoice.get("customer"))
    if not email and customer_ref and stripe_api.is_configured():
        email, name = stripe_api.customer_email(customer_ref)
    address = invoice.get("customer_address") or {}
    lines = _address_lines(address)
    metadata = _invoice_subscription_metadata(invoice)
    return Buyer(
        email=email,
        name=name,
        provider_customer_id=customer_ref,
        address=tuple(line for line in lines if line),
        country=_country(address.get("country")),
        vat_id=_vat_id(invoice.get("customer_tax_ids") or []),
        language=metadata.get("language") or "",
        ip_country=_country(metadata.get("ip_country")),
    )


def _invoice_subscription_metadata(invoice: dict) -> dict:
    """The subscription's metadata as the invoice carries it (2025: under ``parent``)."""
    details = (invoice.get("parent") or {}).get("subscription_details") or invoice.get(
        "subscription_details"
    )
    return (details or {}).get("metadata") or {}


def _invoice_paid(event: dict) -> list[DomainEvent]:
    invoice = event["data"]["object"]
    lines = (invoice.get("lines") or {}).get("data") or []
    subscription_ref = _invoice_subscription_ref(invoice)
    period_ends = [(line.get("period") or {}).get("end") for line in lines]
    paid_through = None
    if subscription_ref:
        ends = [end for end in period_ends if end]
        if not ends:
            raise ValueError(f"subscription invoice {invoice['id']} has no line period")
        paid_through = _timestamp(max(ends))
    return [
        PaymentSucceeded(
            provider=NAME,
            provider_ref=invoice["id"],
            order_ref=subscription_ref or invoice["id"],
            occurred_at=_timestamp(event["created"]),
            buyer=_invoice_buyer(invoice),
            price_refs=_unique(_line_price_ref(line) for line in lines),
            amount=int(invoice.get("amount_paid") or 0),
            currency=(invoice.get("currency") or "").upper(),
            paid_through=paid_through,
            subscription_ref=subscription_ref,
            payment_intent_ref=_invoice_payment_intent_ref(invoice),
            charge_ref=_ref(invoice.get("charge")),
            is_test=not event.get("livemode", False),
            **_store_credit(_invoice_subscription_metadata(invoice)),
            discount=_invoice_discount(invoice),
            waiver=_invoice_waiver(invoice, occurred_at=_timestamp(event["created"])),
        )
    ]


def _invoice_payment_failed(event: dict) -> list[DomainEvent]:
    invoice = event["data"]["object"]
    subscription_ref = _invoice_subscription_ref(invoice)
    if not subscription_ref:
        return [Ignored(f"failed invoice {invoice.get('id')} belongs to no subscription")]
    reason = f"invoice {invoice.get('id')} payment failed (attempt {invoice.get('attempt_count')})"
    return [PaymentFailed(NAME, subscription_ref, _timestamp(event["created"]), reason)]


# --- Subscriptions --------------------------------------------------------------------------


def _subscription_period_end(subscription: dict) -> datetime | None:
    if subscription.get("current_period_end"):
        return _timestamp(subscription["current_period_end"])
    items = (subscription.get("items") or {}).get("data") or []
    ends = [item["current_period_end"] for item in items if item.get("current_period_end")]
    return _timestamp(max(ends)) if ends else None


def _subscription_price_refs(subscription: dict) -> tuple[str, ...]:
    """The current price first (``items.data[0].price``; a very old shape: ``plan``)."""
    items = (subscription.get("items") or {}).get("data") or []
    refs = _unique(_line_price_ref(item) for item in items)
    return refs or _unique([_ref(subscription.get("plan"))])


def subscription_state(subscription: dict, *, occurred_at: datetime) -> SubscriptionUpdated:
    """A Stripe subscription object (from an event, or from an API answer) as a domain event.

    Paused: ``pause_collection`` is set (``mark_uncollectible``, ``keep_as_draft``, ``void``),
    or the status is ``paused`` (a trial that ended without a payment method). A change held
    back for later shows as ``schedule`` or ``pending_update``: the items keep the current
    price until it applies.
    """
    pause = subscription.get("pause_collection") or {}
    return SubscriptionUpdated(
        provider=NAME,
        subscription_ref=subscription["id"],
        occurred_at=occurred_at,
        status=subscription.get("status") or "",
        current_period_end=_subscription_period_end(subscription),
        cancel_at_period_end=bool(subscription.get("cancel_at_period_end")),
        price_refs=_subscription_price_refs(subscription),
        paused=bool(pause) or subscription.get("status") == "paused",
        pause_behavior=str(pause.get("behavior") or "") if isinstance(pause, dict) else "",
        scheduled_change=bool(subscription.get("schedule") or subscription.get("pending_update")),
    )


def _subscription_updated(event: dict) -> list[DomainEvent]:
    return [subscription_state(event["data"]["object"], occurred_at=_timestamp(event["created"]))]


def _subscription_deleted(event: dict) -> list[DomainEvent]:
    subscription = event["data"]["object"]
    details = subscription.get("cancellation_details") or {}
    reason = "subscription ended at Stripe"
    if details.get("reason"):
        reason = f"{reason} ({details['reason']})"
    return [SubscriptionEnded(NAME, subscription["id"], _timestamp(event["created"]), reason)]


# --- Refunds and disputes -------------------------------------------------------------------


def _charge_refunded(event: dict) -> list[DomainEvent]:
    charge = event["data"]["object"]
    amount_refunded = int(charge.get("amount_refunded") or 0)
    return [
        Refunded(
            provider=NAME,
            occurred_at=_timestamp(event["created"]),
            amount_refunded=amount_refunded,
            is_full=bool(charge.get("refunded")) or amount_refunded >= int(charge.get("amount", 0)),
            payment_intent_ref=_ref(charge.get("payment_intent")),
            charge_ref=charge["id"],
        )
    ]


def _dispute(event: dict, *, is_closed: bool) -> list[DomainEvent]:
    dispute = event["data"]["object"]
    outcome = ""
    if is_closed:
        outcome = "lost" if dispute.get("status") == "lost" else "won"
    return [
        ChargedBack(
            provider=NAME,
            occurred_at=_timestamp(event["created"]),
            is_closed=is_closed,
            outcome=outcome,
            payment_intent_ref=_ref(dispute.get("payment_intent")),
            charge_ref=_ref(dispute.get("charge")),
        )
    ]


# --- One-click upsell (offers.upsell) ---------------------------------------------------------


def _intent_charge_ref(intent: dict) -> str:
    """The charge of a PaymentIntent: ``latest_charge`` since API 2022-11-15, before that the
    first entry of the embedded ``charges`` list."""
    if intent.get("latest_charge"):
        return _ref(intent["latest_charge"])
    charges = (intent.get("charges") or {}).get("data") or []
    return _ref(charges[0]) if charges else ""


def _payment_intent_succeeded(event: dict) -> list[DomainEvent]:
    """Only our off-session upsell charges (``metadata.upsell_offer``) grant from here: a
    Checkout Session's own PaymentIntent is granted by ``checkout.session.completed``."""
    intent = event["data"]["object"]
    metadata = intent.get("metadata") or {}
    if not metadata.get("upsell_offer") or not metadata.get("price_id"):
        return [Ignored("payment intent of a checkout: checkout.session.completed grants it")]
    return [
        PaymentSucceeded(
            provider=NAME,
            provider_ref=intent["id"],
            order_ref=intent["id"],
            occurred_at=_timestamp(event["created"]),
            # The customer the first Checkout created names the member (offers.upsell).
            buyer=Buyer(
                email="",
                provider_customer_id=_ref(intent.get("customer")),
                language=str(metadata.get("language") or ""),
            ),
            price_refs=(str(metadata["price_id"]),),
            amount=int(intent.get("amount_received") or intent.get("amount") or 0),
            currency=(intent.get("currency") or "").upper(),
            paid_through=None,
            payment_intent_ref=intent["id"],
            charge_ref=_intent_charge_ref(intent),
            is_test=not event.get("livemode", False),
        )
    ]


HANDLERS: dict[str, Callable[[dict], list[DomainEvent]]] = {
    "payment_intent.succeeded": _payment_intent_succeeded,
    "checkout.session.completed": _checkout_completed,
    "checkout.session.async_payment_succeeded": _checkout_completed,
    "checkout.session.async_payment_failed": _async_payment_failed,
    "invoice.paid": _invoice_paid,
    "invoice.payment_succeeded": _invoice_paid,
    "invoice.payment_failed": _invoice_payment_failed,
    "customer.subscription.created": _subscription_updated,
    "customer.subscription.updated": _subscription_updated,
    "customer.subscription.deleted": _subscription_deleted,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": lambda event: _dispute(event, is_closed=False),
    "charge.dispute.closed": lambda event: _dispute(event, is_closed=True),
}
