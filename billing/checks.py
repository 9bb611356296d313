"""System checks for ``manage.py check --deploy``: webhook secrets that protect nothing."""

from __future__ import annotations

from django.core import checks

from billing.providers.secrets import RECOMMENDED_MIN_LENGTH, all_configured


@checks.register(checks.Tags.security, deploy=True)
def check_webhook_secrets(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """W001: a secret set to blanks (every delivery refused); W002: a secret that is too short."""
    messages: list[checks.CheckMessage] = []
    for configured in all_configured():
        if configured.is_blank:
            messages.append(
                checks.Warning(
                    f"{configured.setting} is set but holds no usable secret (only blanks or "
                    "commas), so every delivery is refused.",
                    hint=f"Set {configured.setting} to the secret, or unset it.",
                    id="billing.W001",
                )
            )
        short = [secret for secret in configured.secrets if len(secret) < RECOMMENDED_MIN_LENGTH]
        if short:
            messages.append(
                checks.Warning(
                    f"{configured.setting} holds a secret shorter than "
                    f"{RECOMMENDED_MIN_LENGTH} characters; anyone who guesses it can sign "
                    "deliveries.",
                    hint="Use a long random secret (Stripe's whsec_… secrets are long enough).",
                    id="billing.W002",
                )
            )
    return messages
