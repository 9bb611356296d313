"""A stub of Stripe's HTTP layer: the official library builds and parses every request for real,
and this client answers from canned, API-shaped JSON instead of the network."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import stripe


class FakeStripeHTTP(stripe.HTTPClient):
    name = "fake"

    def __init__(self) -> None:
        super().__init__()
        self.routes: dict[tuple[str, str], tuple[int, dict]] = {}
        self.requests: list[dict] = []

    def add(self, method: str, path: str, body: dict, *, status: int = 200) -> None:
        self.routes[(method.upper(), path)] = (status, body)

    def request(self, method, url, headers, post_data=None):
        parts = urlsplit(url)
        data = post_data.decode() if isinstance(post_data, bytes) else (post_data or "")
        self.requests.append(
            {
                "method": method.upper(),
                "path": parts.path,
                "query": parse_qs(parts.query),
                "params": {key: values[0] for key, values in parse_qs(data).items()},
                "headers": dict(headers or {}),
            }
        )
        status, body = self.routes.get(
            (method.upper(), parts.path),
            (404, {"error": {"type": "invalid_request_error", "message": "no stub for this"}}),
        )
        return json.dumps(body), status, {"request-id": "req_stub"}

    def request_stream(self, method, url, headers, post_data=None):
        raise NotImplementedError

    def close(self) -> None:
        pass
