"""The provider interface: every payment provider turns its payloads into these domain events.

No code outside ``billing/providers/`` reads a provider payload. Amounts are integers in minor
units; datetimes are aware (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class Buyer:
    email: str
    name: str = ""
    provider_customer_id: str = ""
    address: tuple[str, ...] = ()  # postal address lines, for invoices
    country: str = ""
    vat_id: str = ""
    language: str = ""  # as the buyer chose at checkout (``de``, ``nl-NL``, …); "" if unknown
    # OSS location evidence besides the billing address's ``country``, where the provider gives
    # it: the card's issuing country, and the country of the buyer's IP address.
    card_country: str = ""
    ip_country: str = ""


@dataclass(frozen=True)
class AppliedDiscount:
    """A coupon's discount on a payment, as the provider reports it (minor units).

    ``code`` is our coupon's code when our own checkout named it in the metadata; the refs are
    the provider's coupon and promotion code ids. One discount per payment today; lines of
    their own (an order bump) would add a tuple of these per line.
    """

    amount: int  # taken off
    subtotal: int  # before the discount
    code: str = ""
    coupon_ref: str = ""
    promotion_code_ref: str = ""


@dataclass(frozen=True)
class BumpLine:
    """An order bump bought in the same checkout (``offers.bumps``): our bump's id and the
    line's price before any discount (minor units), as our session metadata names them."""

    bump_id: str
    amount: int


@dataclass(frozen=True)
class WaiverConsent:
    """The buyer agreed, at checkout, that access starts at once and the withdrawal right then
    ends (``billing.waiver``): the text's version, when, and the IP address where known."""

    version: str
    at: datetime
    ip: str = ""


@dataclass(frozen=True)
class PaymentSucceeded:
    """A first payment, a one-off purchase, a trial start or a zero-amount first invoice."""

    provider: str
    provider_ref: str  # the payment's id: in_…, cs_…, or a Digistore24 order id + sequence
    order_ref: str  # the order it belongs to (a subscription's first payment names the order)
    occurred_at: datetime
    buyer: Buyer
    price_refs: tuple[str, ...]  # Stripe price ids, or Digistore24 product ids
    amount: int
    currency: str
    paid_through: datetime | None  # None for one-off purchases (lifetime access)
    subscription_ref: str = ""
    payment_intent_ref: str = ""
    charge_ref: str = ""
    is_test: bool = False
    # The provider's own pages for the buyer (Digistore24), as sent; checked before shown.
    invoice_url: str = ""
    receipt_url: str = ""
    rebilling_stop_url: str = ""
    # Our own upgrade checkout (``members.upgrade``): the offer's token; the purchase then
    # replaces the member's old product instead of adding one.
    upgrade_offer: str = ""
    # Store credit our checkout took off with a one-off coupon (minor units), the checkout's
    # key for the ledger and the member it belongs to (our own Checkout metadata).
    store_credit: int = 0
    store_credit_key: str = ""
    store_credit_member: str = ""
    # A coupon's discount on this payment (``amount`` is then what was paid after it).
    discount: AppliedDiscount | None = None
    # A Digistore24 upgrade: the purchase (order reference) this one replaces; its access ends.
    replaces_order_ref: str = ""
    # An order bump's line in the same payment (its own order, grant and invoice line).
    bump: BumpLine | None = None
    # The withdrawal-right waiver the checkout collected (None: none recorded).
    waiver: WaiverConsent | None = None


@dataclass(frozen=True)
class SubscriptionRenewed:
    provider: str
    provider_ref: str
    subscription_ref: str
    occurred_at: datetime
    amount: int
    currency: str
    paid_through: datetime
    payment_intent_ref: str = ""
    charge_ref: str = ""
    receipt_url: str = ""
    rebilling_stop_url: str = ""


@dataclass(frozen=True)
class SubscriptionUpdated:
    """The provider's view of a subscription changed (status, period, cancel flag)."""

    provider: str
    subscription_ref: str
    occurred_at: datetime
    status: str
    current_period_end: datetime | None
    cancel_at_period_end: bool
    buyer: Buyer | None = None
    price_refs: tuple[str, ...] = ()  # the current price first (items.data[0])
    paused: bool = False  # payment collection paused (``pause_collection`` set)
    pause_behavior: str = ""
    scheduled_change: bool = False  # a schedule or pending update will change it later


@dataclass(frozen=True)
class PaymentFailed:
    provider: str
    subscription_ref: str
    occurred_at: datetime
    reason: str = ""


@dataclass(frozen=True)
class CancelledAtPeriodEnd:
    provider: str
    subscription_ref: str
    occurred_at: datetime
    period_end: datetime | None


@dataclass(frozen=True)
class SubscriptionResumed:
    provider: str
    subscription_ref: str
    occurred_at: datetime


@dataclass(frozen=True)
class SubscriptionEnded:
    provider: str
    subscription_ref: str
    occurred_at: datetime
    reason: str = ""


@dataclass(frozen=True)
class Refunded:
    provider: str
    occurred_at: datetime
    amount_refunded: int  # cumulative amount refunded on the payment
    is_full: bool
    payment_intent_ref: str = ""
    charge_ref: str = ""
    payment_ref: str = ""


@dataclass(frozen=True)
class ChargedBack:
    provider: str
    occurred_at: datetime
    is_closed: bool = False
    outcome: str = ""  # for a closed dispute: "won" or "lost"
    payment_intent_ref: str = ""
    charge_ref: str = ""
    payment_ref: str = ""


@dataclass(frozen=True)
class CheckoutCompleted:
    """A checkout finished whose order is keyed by something else (a subscription)."""

    provider: str
    checkout_ref: str
    order_ref: str
    occurred_at: datetime
    waiver: WaiverConsent | None = None


@dataclass(frozen=True)
class Ignored:
    """An event we store but do not act on (unknown type, connection test, …)."""

    reason: str


DomainEvent = (
    PaymentSucceeded
    | SubscriptionRenewed
    | SubscriptionUpdated
    | PaymentFailed
    | CancelledAtPeriodEnd
    | SubscriptionResumed
    | SubscriptionEnded
    | Refunded
    | ChargedBack
    | CheckoutCompleted
    | Ignored
)


class InvalidDelivery(Exception):
    """The delivery is refused before anything is stored (bad signature, malformed body).

    ``misconfigured``: the site, not the sender, is at fault (no usable secret); logged as ERROR.
    """

    def __init__(self, message: str, *, status: int = 400, misconfigured: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.misconfigured = misconfigured


@dataclass(frozen=True)
class VerifiedDelivery:
    event_id: str
    event_type: str
    payload: dict
    is_test: bool = False


class Provider(Protocol):
    name: str

    def verify(self, request: HttpRequest) -> VerifiedDelivery:
        """Check the signature and parse the body; raise InvalidDelivery to refuse it."""

    def to_domain_events(self, payload: dict) -> list[DomainEvent]:
        """Turn a stored payload into domain events; raise ValueError naming what is missing."""

    def acknowledge(self, delivery: VerifiedDelivery) -> HttpResponse:
        """The 2xx answer once the delivery is stored (Stripe: JSON; Digistore24: ``OK``)."""

    def payment_ref_for(self, *, payment_intent_ref: str) -> str:
        """The payment reference (``provider_ref``) of a payment known only by its payment
        intent, asked from the provider's API when the events did not say; "" if unknown."""
