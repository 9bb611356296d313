"""A stub of Stripe's HTTP layer: the official library builds and parses every request for real,
and this client answers from canned, API-shaped JSON instead of the network.

``add`` answers one path with one body; ``add_list`` serves a list endpoint page by page as
Stripe does (``limit``, ``starting_after``, ``has_more``); ``fail_next`` makes the next calls of
a path fail (a 429 rate limit, a 500) before the normal answer comes back."""

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
        self.lists: dict[str, list[dict]] = {}
        self.failures: dict[tuple[str, str], list[tuple[int, dict]]] = {}

    def add(self, method: str, path: str, body: dict, *, status: int = 200) -> None:
        self.routes[(method.upper(), path)] = (status, body)

    def add_list(self, path: str, objects: list[dict]) -> None:
        """GET ``path`` lists ``objects`` in pages (Stripe's cursor pagination)."""
        self.lists[path] = list(objects)

    def fail_next(self, method: str, path: str, *, status: int, times: int = 1) -> None:
        kind = "rate_limit_error" if status == 429 else "api_error"
        body = {"error": {"type": kind, "message": f"stubbed {status}"}}
        self.failures.setdefault((method.upper(), path), []).extend([(status, body)] * times)

    def _page(self, path: str, query: dict) -> dict:
        objects = self.lists[path]
        limit = int(query.get("limit", ["10"])[0])
        start = 0
        if query.get("starting_after"):
            ids = [obj["id"] for obj in objects]
            start = ids.index(query["starting_after"][0]) + 1
        page = objects[start : start + limit]
        return {
            "object": "list",
            "url": path,
            "has_more": start + limit < len(objects),
            "data": page,
        }

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
        failures = self.failures.get((method.upper(), parts.path))
        if failures:
            status, body = failures.pop(0)
            return json.dumps(body), status, {"request-id": "req_stub"}
        if method.upper() == "GET" and parts.path in self.lists:
            return json.dumps(self._page(parts.path, parse_qs(parts.query))), 200, {}
        status, body = self.routes.get(
            (method.upper(), parts.path),
            (404, {"error": {"type": "invalid_request_error", "message": "no stub for this"}}),
        )
        return json.dumps(body), status, {"request-id": "req_stub"}

    def request_stream(self, method, url, headers, post_data=None):
        raise NotImplementedError

    def close(self) -> None:
        pass
