"""Generated junk thrown at the webhooks, login links, checkout and member pages: never a 5xx.

A seeded generator (reproducible: the failing input is printed) builds headers, bodies, URL parts
and form fields from text that has broken PostgreSQL or Python before: NUL, lone surrogates (as
JSON escapes and as invalid UTF-8 bytes), non-ASCII, control characters, very long values, deep
nesting and numbers out of range. Some bodies are correctly signed, so the junk gets past the
signature check and reaches storage. Run it on SQLite and on PostgreSQL (DATABASE_URL=…);
JUNK_SEED and JUNK_ROUNDS change the run.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from urllib.parse import quote

import pytest
from django.test import Client

from billing.models import ProviderEvent
from tests.factories import PriceFactory, UserFactory
from tests.payloads import digistore24 as ds24
from tests.payloads.stripe import build_event, sign

pytestmark = pytest.mark.django_db

SEED = int(os.environ.get("JUNK_SEED", "20261202"))
ROUNDS = int(os.environ.get("JUNK_ROUNDS", "20"))
SECRET = "whsec_junk_test_endpoint_secret"

ATOMS = [
    "\x00",
    chr(0xD800),
    chr(0xDFFF),
    "\ufffd",
    "ä",
    "€",
    "😀",
    "\u202e",
    "\r\n",
    "\t",
    "%",
    "%00",
    "/",
    "..",
    "\\",
    "'",
    '"',
    "<script>",
    "=",
    "&",
    ",",
    "v1=",
    "t=",
    "cs_",
    "evt_",
    "-",
    "0",
    "9" * 30,
    " ",
]


class Junk:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def text(self, *, size: int = 12) -> str:
        """A string of atoms and random code points; now and then a very long one."""
        if self.random.random() < 0.05:
            return self.random.choice(ATOMS) * self.random.choice([300, 5000, 70_000])
        parts = []
        for _ in range(self.random.randint(0, size)):
            if self.random.random() < 0.6:
                parts.append(self.random.choice(ATOMS))
            else:
                parts.append(chr(self.random.randint(0, 0x10FFFF)))
        return "".join(parts)

    def valid_text(self, *, size: int = 12) -> str:
        """Text that encodes as UTF-8 (no lone surrogates), as a form or header carries it."""
        return "".join(char for char in self.text(size=size) if not 0xD800 <= ord(char) <= 0xDFFF)

    def url_part(self) -> str:
        """Percent-encoded bytes: the text as UTF-8 (surrogates passed through) or raw bytes."""
        if self.random.random() < 0.3:
            raw = self.random.randbytes(self.random.randint(1, 20))
        else:
            raw = self.text().encode("utf-8", "surrogatepass")
        return quote(raw, safe="") or "x"

    def header(self) -> str:
        """A header (or cookie) value as WSGI hands it over: bytes read as Latin-1."""
        choice = self.random.random()
        if choice < 0.3:
            return self.random.randbytes(self.random.randint(0, 80)).decode("latin-1")
        if choice < 0.6:
            text = f"t={self.text(size=3)},v1={self.text(size=5)}"
        else:
            text = f"t={int(time.time())},v1={self.valid_text(size=4)}" + "0" * 60
        return text.encode("utf-8", "surrogatepass").decode("latin-1")

    def json_value(self, depth: int = 0) -> str:
        """JSON text (not always valid): nesting, odd numbers, escaped junk strings."""
        choice = self.random.random()
        if depth > 4 or choice < 0.35:
            return json.dumps(self.text())
        if choice < 0.45:
            return self.random.choice(
                ["1e400", "-1e400", "NaN", "Infinity", "1" + "0" * 5000, "0.1", "-0", "true"]
            )
        if choice < 0.5:
            levels = self.random.choice([70, 2000, 20_000])
            return "[" * levels + "]" * levels
        if choice < 0.75:
            items = [self.json_value(depth + 1) for _ in range(self.random.randint(0, 4))]
            return "[" + ",".join(items) + "]"
        pairs = [
            f"{json.dumps(self.text(size=4))}: {self.json_value(depth + 1)}"
            for _ in range(self.random.randint(0, 4))
        ]
        return "{" + ",".join(pairs) + "}"

    def stripe_body(self) -> str:
        """A Stripe-shaped event with junk in its id, type and object, or plain junk."""
        if self.random.random() < 0.2:
            return self.json_value()
        real = json.loads(build_event("checkout.session.completed", price_id="price_junk"))
        event_type = self.random.choice([json.dumps(real["type"]), self.json_value(4)])
        event_id = self.random.choice([json.dumps(real["id"]), json.dumps(self.text())])
        session = json.dumps(real["data"]["object"])[:-1]
        extra = f", {json.dumps(self.text(size=3))}: {self.json_value(1)}"
        return (
            f'{{"id": {event_id}, "object": "event", "type": {event_type}, '
            f'"created": {self.random.choice([int(time.time()), 10**30, -1])}, '
            f'"livemode": {self.random.choice(["false", "true", self.json_value(4)])}, '
            f'"data": {{"object": {session}{extra}}}}}}}'
        )

    def ipn_fields(self) -> dict[str, str]:
        fields = ds24.build_ipn(self.random.choice(["on_payment", "on_refund", self.valid_text()]))
        for _ in range(self.random.randint(1, 6)):
            key = self.random.choice([*fields, self.valid_text(size=3)])
            fields[key] = self.valid_text()
        return fields


def _requests(junk: Junk, client: Client, member_client: Client) -> list[Callable]:
    """One round: a request per target, each a zero-argument callable returning the response."""
    stripe_body = junk.stripe_body()
    ipn = junk.ipn_fields()
    part, other = junk.url_part(), junk.url_part()
    signed_header = sign(stripe_body, SECRET)  # the body is ASCII: json.dumps escapes the rest
    return [
        lambda: client.post(
            junk.random.choice(["/billing/webhooks/stripe/", "/billing/webhooks/stripe"]),
            data=stripe_body,
            content_type="application/json",
            CONTENT_TYPE=junk.random.choice(["application/json", junk.valid_text()]),
            HTTP_STRIPE_SIGNATURE=junk.random.choice([signed_header, junk.header()]),
        ),
        lambda: client.post(
            junk.random.choice(["/billing/webhooks/digistore24/", "/billing/webhooks/digistore24"]),
            data=junk.random.choice(
                [
                    ds24.signed_body(ipn),
                    ds24.encode(ipn),
                    junk.random.randbytes(200),
                    f"{part}={other}&sha_sign={part}",
                ]
            ),
            content_type=ds24.FORM,
            CONTENT_TYPE=junk.random.choice([ds24.FORM, f"{ds24.FORM}; charset={part}"]),
        ),
        lambda: client.get(f"/login/{part}/{other}/"),
        lambda: client.post(f"/login/{part}/{other}/"),
        lambda: client.post("/login/new/", data={"email": junk.valid_text()}),
        lambda: client.get(f"/billing/checkout/success/?session_id={part}&{other}={part}"),
        lambda: member_client.get(f"/billing/checkout/status/?session_id={part}"),
        lambda: client.post(f"/billing/checkout/{junk.random.randint(0, 10**20)}/"),
        lambda: member_client.get(f"/members/invoices/{part}/"),
        lambda: member_client.get(f"/members/invoices/{part}/{other}/pdf/"),
        lambda: member_client.get(f"/members/products/{part}/"),
        lambda: member_client.get(f"/members/downloads/{part}/"),
        lambda: member_client.get(
            f"/members/courses/{part}/lessons/{junk.random.randint(0, 10**20)}/"
        ),
        lambda: member_client.get(f"/members/{part}/?{other}={part}"),
        lambda: client.get(
            "/members/",
            HTTP_COOKIE=junk.random.choice(
                [f"sessionid={junk.header()}", f'sessionid="abcdefgh\\000{part}"', junk.header()]
            ),
        ),
    ]


def test_generated_junk_never_gets_a_5xx(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.STRIPE_SECRET_KEY = ""
    settings.DIGISTORE24_IPN_PASSPHRASE = ds24.PASSPHRASE
    PriceFactory(stripe_price_id="price_junk")
    client = Client(raise_request_exception=False)
    member_client = Client(raise_request_exception=False)
    member_client.force_login(UserFactory(email="member@x.test"))
    junk = Junk(SEED)

    failures = []
    for round_number in range(ROUNDS):
        for target, request in enumerate(_requests(junk, client, member_client)):
            response = request()
            if response.status_code >= 500:
                sent = response.request
                failures.append(
                    f"round {round_number} target {target}: {sent['REQUEST_METHOD']} "
                    f"{sent['PATH_INFO']!r} {sent.get('QUERY_STRING', '')!r} "
                    f"-> {response.status_code}"
                )

    assert failures == [], f"seed {SEED}: " + "\n".join(failures[:20])
    # Signed junk got past the signature check and was stored (cleaned) by both providers.
    stored = set(ProviderEvent.objects.values_list("provider", flat=True))
    assert stored == {"stripe", "digistore24"}
