"""Private files in a real S3 API: one moto server per test session, a fresh bucket per test."""

from __future__ import annotations

import logging
import socket
import uuid
from dataclasses import dataclass

import boto3
import pytest

from membership_site.s3 import private_s3_options
from tests.storage.s3_server import ACCESS_KEY, REGION, SECRET_KEY, S3Server


@dataclass(frozen=True)
class Bucket:
    name: str
    client: object  # a boto3 S3 client of the test itself, to look behind the app's back
    endpoint_url: str

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return sorted(entry["Key"] for entry in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


def s3_storages(settings, *, bucket_name: str, endpoint_url: str) -> dict:
    """STORAGES with private files and public uploads in the bucket, as settings.py builds them."""
    options = private_s3_options(
        bucket_name=bucket_name,
        endpoint_url=endpoint_url,
        region_name=REGION,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        url_seconds=settings.PRIVATE_FILE_URL_SECONDS,
    )
    public = {**options, "location": "public"}
    return {
        **settings.STORAGES,
        "private": {"BACKEND": "products.s3.PrivateS3Storage", "OPTIONS": options},
        "default": {"BACKEND": "products.s3.PublicMediaS3Storage", "OPTIONS": public},
    }


@pytest.fixture(scope="session")
def s3_endpoint():
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per S3 request otherwise
    server = S3Server().start()
    yield server.endpoint_url
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint, settings) -> Bucket:
    """Private files go to a new, empty bucket of the local S3 server."""
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    name = f"private-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name)
    settings.PRIVATE_FILE_URL_SECONDS = 60
    settings.STORAGES = s3_storages(settings, bucket_name=name, endpoint_url=s3_endpoint)
    return Bucket(name=name, client=client, endpoint_url=s3_endpoint)


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on: a store that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def store_down(settings, closed_port) -> None:
    """Private files are configured in a bucket whose server does not answer."""
    settings.STORAGES = s3_storages(
        settings, bucket_name="private-down", endpoint_url=f"http://127.0.0.1:{closed_port}"
    )
