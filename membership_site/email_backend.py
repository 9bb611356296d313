"""SMTP with internationalized mailboxes (RFC 6531, SMTPUTF8).

Django writes a non-ASCII local part (``jürgen.straße@example.com``) as an encoded word
(``=?utf-8?q?…?=@example.com``) in the envelope and in the To header; no mail server delivers
that. This backend sends such a message with the ``SMTPUTF8`` option instead, the addresses
raw in UTF-8 in the envelope and in the headers, when the server offers the extension. When it
does not, it raises ``SMTPUTF8NotSupportedError`` naming the address, which the outbox records
as a failure a retry cannot fix. Every other message (ASCII local parts, including
internationalized domains, which are written in punycode as Django does) goes Django's way.
"""

from __future__ import annotations

import smtplib
from email.generator import BytesGenerator
from email.headerregistry import Address
from email.policy import SMTPUTF8
from email.utils import getaddresses
from io import BytesIO

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend
from django.utils.encoding import punycode

# The address headers Django sets from the message's fields (EmailMessage.message()).
_ADDRESS_FIELDS = {"From": "from_email", "To": "to", "Cc": "cc", "Reply-To": "reply_to"}


class SMTPUTF8NotSupportedError(smtplib.SMTPNotSupportedError):
    """The message needs SMTPUTF8 (a non-ASCII local part) and the mail server lacks it."""


def needs_smtputf8(address: str) -> bool:
    """True when the part before the @ is not ASCII (a non-ASCII domain goes as punycode)."""
    for _name, addr_spec in getaddresses([address]):
        local_part = addr_spec.rpartition("@")[0]
        if not local_part.isascii():
            return True
    return False


def _utf8_address(name: str, addr_spec: str) -> Address:
    """The local part raw, the domain in punycode (IDNA) as Django writes it."""
    local_part, _at, domain = addr_spec.rpartition("@")
    return Address(display_name=name, username=local_part, domain=punycode(domain))


def utf8_addr_spec(address: str) -> str:
    """The envelope form (``local@domain``) of an address such as ``Name <local@domain>``."""
    name, addr_spec = getaddresses([address])[0]
    return _utf8_address(name, addr_spec).addr_spec


def utf8_address_header(value: str) -> str:
    """A header value listing the addresses with raw UTF-8 local parts (SMTPUTF8 only)."""
    return ", ".join(str(_utf8_address(*pair)) for pair in getaddresses([value]))


class EmailBackend(DjangoSMTPBackend):
    """Django's SMTP backend, plus SMTPUTF8 for mailboxes whose local part is not ASCII."""

    def _send(self, email_message: EmailMessage) -> bool:
        if not email_message.recipients():
            return False
        addresses = [email_message.from_email, *email_message.recipients()]
        if not any(needs_smtputf8(address) for address in addresses):
            return super()._send(email_message)
        try:
            self._send_smtputf8(email_message, addresses)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True

    def _send_smtputf8(self, email_message: EmailMessage, addresses: list[str]) -> None:
        self.connection.ehlo_or_helo_if_needed()
        if not self.connection.has_extn("smtputf8"):
            needing = ", ".join(address for address in addresses if needs_smtputf8(address))
            raise SMTPUTF8NotSupportedError(
                f"{needing}: the mail server {settings.EMAIL_HOST}:{settings.EMAIL_PORT} does "
                "not offer SMTPUTF8, which an address with non-ASCII characters before the @ "
                "needs. Ask the mail provider to enable it, or use another address."
            )
        message = email_message.message()
        for header, field in _ADDRESS_FIELDS.items():
            if header in message:
                value = email_message.extra_headers.get(header) or getattr(email_message, field)
                if not isinstance(value, str):
                    value = ", ".join(value)
                # Django's __setitem__ would encode the local part again: replace in place.
                message.replace_header(header, utf8_address_header(value))
        options = ["SMTPUTF8"]
        if self.connection.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        self.connection.sendmail(
            utf8_addr_spec(email_message.from_email),
            [utf8_addr_spec(recipient) for recipient in email_message.recipients()],
            _as_utf8_bytes(message),
            mail_options=options,
        )


def _as_utf8_bytes(message) -> bytes:
    """The message with CRLF line ends, its headers' UTF-8 written raw (RFC 6532)."""
    buffer = BytesIO()
    BytesGenerator(buffer, mangle_from_=False, policy=SMTPUTF8).flatten(message)
    return buffer.getvalue()
