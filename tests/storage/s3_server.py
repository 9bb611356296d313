"""A real S3 API on a local port for the tests: moto's S3 server, plus the presigned-URL checks
that moto leaves out.

moto answers a presigned GET without looking at its signature or its expiry (moto 5.2: no
``X-Amz-Expires`` check anywhere in ``moto/s3``). AWS S3, R2 and MinIO refuse an expired or
altered URL with 403, and the tests must see that, so a thin WSGI layer in front of moto does
what S3 does for a SigV4 query-signed request: it recomputes the signature with botocore's
signer for the URL's own ``X-Amz-Date`` and refuses a mismatch (``SignatureDoesNotMatch``),
then refuses a URL whose ``X-Amz-Date`` + ``X-Amz-Expires`` lies in the past (``AccessDenied``,
"Request has expired"). Its clock is ``time.time()``, so ``time_machine`` moves it too.
Everything else (buckets, objects, ACLs, ``response-content-disposition``) is moto's.
"""

from __future__ import annotations

import time
from calendar import timegm
from threading import Thread
from urllib.parse import parse_qsl, urlencode

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"
REGION = "us-east-1"
AUTH_PARAMETERS = {
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
}


class _SignatureAt(S3SigV4QueryAuth):
    """botocore's query signer at a given timestamp (its ``add_auth`` always takes "now")."""

    def signature_at(self, request: AWSRequest, timestamp: str) -> str:
        request.context["timestamp"] = timestamp
        self._modify_request_before_signing(request)
        canonical_request = self.canonical_request(request)
        return self.signature(self.string_to_sign(request, canonical_request), request)


def _refusal(start_response, code: str, message: str):
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
        f"<Message>{message}</Message></Error>"
    ).encode()
    start_response("403 Forbidden", [("Content-Type", "application/xml")])
    return [body]


class PresignedUrlChecks:
    """WSGI middleware: S3's checks of a query-signed (presigned) request."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        parameters = dict(query)
        if "X-Amz-Signature" not in parameters:
            return self.app(environ, start_response)
        if parameters["X-Amz-Signature"] != self._expected_signature(environ, query, parameters):
            return _refusal(
                start_response,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        signed_at = timegm(time.strptime(parameters["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
        if time.time() > signed_at + int(parameters["X-Amz-Expires"]):
            return _refusal(start_response, "AccessDenied", "Request has expired")
        return self.app(environ, start_response)

    @staticmethod
    def _expected_signature(environ, query, parameters) -> str:
        rest = [(key, value) for key, value in query if key not in AUTH_PARAMETERS]
        host = environ["HTTP_HOST"]
        path = environ.get("RAW_URI", environ["PATH_INFO"]).split("?", 1)[0]
        url = f"http://{host}{path}" + (f"?{urlencode(rest)}" if rest else "")
        request = AWSRequest(method=environ["REQUEST_METHOD"], url=url, headers={"host": host})
        signer = _SignatureAt(
            Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION, int(parameters["X-Amz-Expires"])
        )
        return signer.signature_at(request, parameters["X-Amz-Date"])


class S3Server:
    """moto's S3 server with the presigned-URL checks, on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        app = PresignedUrlChecks(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> S3Server:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
