"""Stripe-shaped webhook payloads and the real ``Stripe-Signature`` scheme, for tests.

``build_event(type, **fields)`` returns the JSON body Stripe would send (an event envelope around
the object, in the older or the 2025+ "basil" shape); ``sign(body, secret, timestamp)`` returns
the header: ``t=<timestamp>,v1=<HMAC-SHA256 of "<timestamp>.<body>">``. ``fixture(name)`` loads a
real event from tests/fixtures/stripe/ (to be re-signed; SOURCES.md there says where each came
from).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable
from pathlib import Path

from billing.waiver import WAIVER_VERSION

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "stripe"
DEFAULT_PERIOD_END = 1_900_000_000  # 2030-03-17
_counter = itertools.count(1)


def sign(body: str | bytes, secret: str, timestamp: int | None = None) -> str:
    """The real Stripe-Signature header for ``body``."""
    if isinstance(body, bytes):
        body = body.decode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def fixture(name: str) -> str:
    """A real Stripe event body, byte for byte."""
    return (FIXTURES / f"{name}.json").read_text()


def fixture_with(name: str, change: Callable[[dict], None]) -> str:
    """A real Stripe event with ``change`` applied to its parsed JSON."""
    payload = json.loads(fixture(name))
    change(payload)
    return json.dumps(payload)


def _id(prefix: str) -> str:
    return f"{prefix}_{next(_counter):06d}{int(time.time() * 1000) % 10**8:08d}"


def _waiver_metadata(fields: dict) -> dict:
    """Our checkout asks for the withdrawal waiver (``billing.waiver``): its version rides in the
    metadata. ``waiver=None`` builds a checkout that did not record one."""
    version = fields.get("waiver", WAIVER_VERSION)
    return {"withdrawal_waiver": version} if version else {}


def _checkout_session(fields: dict) -> dict:
    mode = fields.get("mode", "payment")
    metadata = fields.get("metadata")
    if metadata is None:
        metadata = {"price_id": fields["price_id"]} if fields.get("price_id") else {}
    metadata = {**metadata, **_waiver_metadata(fields)}
    accepted = bool(fields.get("waiver", WAIVER_VERSION))
    return {
        "consent": {"promotions": None, "terms_of_service": "accepted"} if accepted else None,
        "id": fields.get("session_id") or _id("cs_test"),
        "object": "checkout.session",
        "amount_subtotal": fields.get("amount", 4900),
        "amount_total": fields.get("amount", 4900),
        "currency": fields.get("currency", "eur"),
        "customer": fields.get("customer", _id("cus")),
        "customer_details": {
            "address": {
                "city": "Berlin",
                "country": "DE",
                "line1": "Hauptstr. 1",
                "line2": None,
                "postal_code": "10115",
                "state": None,
            },
            "email": fields.get("email", "buyer@example.test"),
            "name": fields.get("name", "Ada Buyer"),
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        },
        "customer_email": None,
        "invoice": fields.get("invoice"),
        "livemode": fields.get("livemode", False),
        "metadata": metadata,
        "mode": mode,
        "payment_intent": fields.get("payment_intent", _id("pi") if mode == "payment" else None),
        "payment_status": fields.get("payment_status", "paid"),
        "status": "complete",
        "subscription": fields.get("subscription"),
        "success_url": "http://testserver/billing/checkout/success/?session_id={CHECKOUT_SESSION_ID}",
    }


def _invoice_line(fields: dict, period_end: int) -> dict:
    line = {
        "id": _id("il"),
        "object": "line_item",
        "amount": fields.get("amount", 2900),
        "currency": fields.get("currency", "eur"),
        "period": {"start": period_end - 30 * 86400, "end": period_end},
        "quantity": 1,
    }
    if fields.get("shape", "basil") == "basil":
        line["pricing"] = {
            "type": "price_details",
            "price_details": {"price": fields["price_id"], "product": "prod_x"},
            "unit_amount_decimal": str(fields.get("amount", 2900)),
        }
        line["parent"] = {"type": "subscription_item_details"}
    else:
        line["price"] = {"id": fields["price_id"], "object": "price", "type": "recurring"}
        line["type"] = "subscription"
        line["subscription"] = fields.get("subscription")
    return line


def _invoice(fields: dict) -> dict:
    period_end = fields.get("period_end", DEFAULT_PERIOD_END)
    subscription = fields.get("subscription")
    invoice = {
        "id": fields.get("invoice_id") or _id("in"),
        "object": "invoice",
        "amount_due": fields.get("amount", 2900),
        "amount_paid": fields.get("amount_paid", fields.get("amount", 2900)),
        "attempt_count": fields.get("attempt_count", 1),
        "billing_reason": fields.get("billing_reason", "subscription_create"),
        "currency": fields.get("currency", "eur"),
        "customer": fields.get("customer", _id("cus")),
        "customer_email": fields.get("email", "buyer@example.test"),
        "customer_name": fields.get("name", "Ada Buyer"),
        "hosted_invoice_url": "https://invoice.stripe.com/i/test",
        "lines": {"object": "list", "data": [_invoice_line(fields, period_end)], "has_more": False},
        "livemode": fields.get("livemode", False),
        "status": fields.get("status", "paid"),
    }
    if fields.get("shape", "basil") == "basil":
        invoice["parent"] = {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": subscription,
                "metadata": _waiver_metadata(fields),
            },
        }
        if fields.get("payment_intent"):
            invoice["payments"] = {
                "object": "list",
                "data": [
                    {
                        "payment": {
                            "type": "payment_intent",
                            "payment_intent": fields["payment_intent"],
                        }
                    }
                ],
            }
    else:
        invoice["subscription"] = subscription
        invoice["subscription_details"] = {"metadata": _waiver_metadata(fields)}
        invoice["payment_intent"] = fields.get("payment_intent")
        invoice["charge"] = fields.get("charge")
        invoice["paid"] = fields.get("status", "paid") == "paid"
    return invoice


def _subscription(fields: dict) -> dict:
    period_end = fields.get("period_end", DEFAULT_PERIOD_END)
    item = {
        "id": _id("si"),
        "object": "subscription_item",
        "price": {"id": fields.get("price_id", "price_x"), "object": "price"},
        "quantity": 1,
    }
    subscription = {
        "id": fields.get("subscription") or _id("sub"),
        "object": "subscription",
        "cancel_at_period_end": fields.get("cancel_at_period_end", False),
        "cancellation_details": {"reason": fields.get("cancellation_reason")},
        "customer": fields.get("customer", _id("cus")),
        "ended_at": fields.get("ended_at"),
        "items": {"object": "list", "data": [item]},
        "livemode": fields.get("livemode", False),
        "status": fields.get("status", "active"),
    }
    if fields.get("shape", "basil") == "basil":
        item["current_period_end"] = period_end
        item["current_period_start"] = period_end - 30 * 86400
    else:
        subscription["current_period_end"] = period_end
        subscription["current_period_start"] = period_end - 30 * 86400
    return subscription


def _charge(fields: dict) -> dict:
    amount = fields.get("amount", 4900)
    refunded = fields.get("amount_refunded", amount)
    return {
        "id": fields.get("charge") or _id("ch"),
        "object": "charge",
        "amount": amount,
        "amount_refunded": refunded,
        "currency": fields.get("currency", "eur"),
        "livemode": fields.get("livemode", False),
        "payment_intent": fields.get("payment_intent"),
        "refunded": refunded >= amount,
        "status": "succeeded",
    }


def _dispute(fields: dict) -> dict:
    return {
        "id": _id("dp"),
        "object": "dispute",
        "amount": fields.get("amount", 4900),
        "charge": fields.get("charge") or _id("ch"),
        "currency": fields.get("currency", "eur"),
        "livemode": fields.get("livemode", False),
        "payment_intent": fields.get("payment_intent"),
        "reason": "fraudulent",
        "status": fields.get("status", "needs_response"),
    }


BUILDERS: dict[str, Callable[[dict], dict]] = {
    "checkout.session.completed": _checkout_session,
    "checkout.session.async_payment_succeeded": _checkout_session,
    "checkout.session.async_payment_failed": _checkout_session,
    "invoice.paid": _invoice,
    "invoice.payment_succeeded": _invoice,
    "invoice.payment_failed": lambda fields: _invoice(
        {"status": "open", "amount_paid": 0, **fields}
    ),
    "customer.subscription.created": _subscription,
    "customer.subscription.updated": _subscription,
    "customer.subscription.deleted": lambda fields: _subscription({"status": "canceled", **fields}),
    "charge.refunded": _charge,
    "charge.dispute.created": _dispute,
    "charge.dispute.closed": _dispute,
}


def build_event(event_type: str, **fields) -> str:
    """An API-shaped Stripe event body. Unknown types get a bare object."""
    builder = BUILDERS.get(event_type, lambda fields: {"id": _id("obj"), "object": "unknown"})
    account = fields.pop("account", None)  # a connected account's event names it (Connect)
    envelope = {
        "id": fields.pop("event_id", None) or _id("evt"),
        "object": "event",
        "api_version": "2025-06-30.basil"
        if fields.get("shape", "basil") == "basil"
        else "2020-08-27",
        "created": fields.pop("created", None) or int(time.time()),
        "data": {"object": builder(fields)},
        "livemode": fields.get("livemode", False),
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    if account is not None:
        envelope["account"] = account
    return json.dumps(envelope)


def subscription_object(**fields) -> dict:
    """A subscription as the API lists it (``status=all``), its latest invoice expanded if
    given as ``latest_invoice`` (an invoice object)."""
    latest_invoice = fields.pop("latest_invoice", None)
    subscription = _subscription(fields)
    subscription["latest_invoice"] = latest_invoice
    return subscription


def invoice_object(**fields) -> dict:
    """An invoice as the API returns it; ``paid_at`` fills ``status_transitions.paid_at``."""
    paid_at = fields.pop("paid_at", None)
    invoice = _invoice(fields)
    invoice["status_transitions"] = {"paid_at": paid_at, "finalized_at": paid_at}
    return invoice
