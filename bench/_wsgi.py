"""A page requested through Django's WSGI handler in the benchmark's own process."""

from __future__ import annotations


def wsgi_caller(cookie: str):
    """``call(path) -> (status, body)``: a GET through Django's WSGI handler, in this process,
    with the member's cookies (the handler as gunicorn runs it, without the HTTP server)."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    handler, factory = WSGIHandler(), RequestFactory()

    def call(path: str) -> tuple[int, str]:
        environ = factory._base_environ(
            PATH_INFO=path, REQUEST_METHOD="GET", HTTP_COOKIE=cookie,
            HTTP_HOST="127.0.0.1", SERVER_NAME="127.0.0.1",
        )  # fmt: skip
        status: list[str] = []
        body = b"".join(handler(environ, lambda line, headers, *_: status.append(line)))
        return int(status[0].split()[0]), body.decode()

    return call
