"""What a stored Digistore24 IPN says, for reconcile's evidence (never raises on odd fields)."""

from __future__ import annotations

from billing.providers.digistore24 import Ipn


def ipn_summary(payload: dict) -> dict:
    ipn = Ipn(payload)
    return {
        "order_id": ipn.text("order_id"),
        "product_id": ipn.text("product_id"),
        "transaction_id": ipn.text("transaction_id"),
        "email": ipn.text("email") or ipn.text("buyer_email") or ipn.text("address_email"),
        "amount": ipn.text("amount"),  # as sent: a decimal string
        "currency": ipn.text("currency"),
        "pay_sequence_no": ipn.text("pay_sequence_no"),
        "next_payment_at": ipn.text("next_payment_at"),
    }
