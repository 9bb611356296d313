from __future__ import annotations

import os

import pytest
from django.db import connection


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Every test writes uploads into its own folder."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail("REQUIRE_SERVICES is set but the database is not PostgreSQL")
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://...")


@pytest.fixture
def creator(django_user_model):
    return django_user_model.objects.create_superuser("creator@example.test", "pw-creator-1")


@pytest.fixture
def creator_client(client, creator):
    client.force_login(creator)
    return client
