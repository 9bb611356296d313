"""STORAGES options for private files in an S3-compatible bucket (django-storages' S3Storage).

Kept free of Django imports: ``settings.py`` builds them from the environment, and the tests
build the same options for their local S3 server.
"""

from __future__ import annotations

from botocore.config import Config

# A store that does not answer must not hold a web worker for minutes (boto's defaults: 60 s
# to connect, 60 s to read, retried 4 times): a download answers 503 within seconds instead.
CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 20
MAX_ATTEMPTS = 2


def private_s3_options(
    *,
    bucket_name: str,
    endpoint_url: str | None = None,
    region_name: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    location: str = "",
    addressing_style: str | None = None,
    url_seconds: int = 60,
) -> dict:
    """The OPTIONS of ``products.s3.PrivateS3Storage``; unset credentials fall back to boto3's
    own chain (environment, instance role)."""
    options = {
        "bucket_name": bucket_name,
        "endpoint_url": endpoint_url or None,
        "region_name": region_name or None,
        "location": location,
        # Never public: objects are private and read through presigned URLs only. The class
        # enforces these three again whatever the options say.
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
        "querystring_expire": url_seconds,
        # With client_config given, django-storages ignores its signature_version and
        # addressing_style options: they are set here.
        "client_config": Config(
            signature_version="s3v4",
            s3={"addressing_style": addressing_style or "auto"},
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
            retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
        ),
    }
    if access_key or secret_key:
        options.update(access_key=access_key, secret_key=secret_key)
    return options
