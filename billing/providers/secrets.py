"""Webhook signing secrets as configured: one reading for the providers, ``/healthz`` and checks.

A setting's value is stripped, and in a list (``STRIPE_WEBHOOK_SECRET`` holds several,
comma-separated, while a secret is rotated) each entry is stripped and empty entries are dropped.
A value that is set but holds no usable secret (``"  "``, ``","``) counts as unset: every
delivery is refused. It is also reported, because nobody means it: an ERROR line per refused
delivery, a failing ``/healthz`` detail and a ``check --deploy`` warning. An unset value is a
provider the site does not use (or offline development) and fails nothing.

``DIGISTORE24_IPN_PASSPHRASE`` is one passphrase, not a list: Digistore24 lets the creator choose
it freely, so a comma in it is part of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

# Shorter secrets are guessable offline from one signed delivery; ``check --deploy`` warns.
RECOMMENDED_MIN_LENGTH = 16


@dataclass(frozen=True)
class ConfiguredSecrets:
    setting: str  # the setting (and environment variable) it comes from
    secrets: tuple[str, ...]  # the usable ones, stripped, never empty strings
    is_set: bool  # the raw value is not empty

    @property
    def is_blank(self) -> bool:
        """Set, but with nothing usable in it: a mistake, reported loudly."""
        return self.is_set and not self.secrets

    def refusal(self, what: str) -> str:
        """Why every delivery is refused, for the log line (empty if some secret is usable)."""
        if self.secrets:
            return ""
        if self.is_blank:
            return (
                f"{self.setting} is set but holds no usable secret (only blanks or commas): "
                f"every {what} is refused"
            )
        return f"{self.setting} is not set: every {what} is refused"


def read(setting: str, *, is_list: bool) -> ConfiguredSecrets:
    raw = str(getattr(settings, setting, "") or "")
    entries = raw.split(",") if is_list else [raw]
    usable = tuple(entry.strip() for entry in entries if entry.strip())
    return ConfiguredSecrets(setting=setting, secrets=usable, is_set=raw != "")


def stripe_webhook_secrets() -> ConfiguredSecrets:
    return read("STRIPE_WEBHOOK_SECRET", is_list=True)


def digistore24_passphrase() -> ConfiguredSecrets:
    return read("DIGISTORE24_IPN_PASSPHRASE", is_list=False)


def all_configured() -> list[ConfiguredSecrets]:
    """Every webhook secret setting, for ``/healthz`` and the system check."""
    return [stripe_webhook_secrets(), digistore24_passphrase()]
