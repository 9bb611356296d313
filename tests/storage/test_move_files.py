"""``manage.py move_files``: private files copied from local disk to the bucket (and back),
each verified by size and SHA-256; a second run skips what is there; --dry-run copies nothing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from members.downloads import download_url
from products.models import Download
from products.storage import PrivateStorage, private_storage
from tests.factories import ProductFactory
from tests.members.helpers import BOUGHT_AT, grant, make_member

pytestmark = pytest.mark.django_db

FILES = {
    "downloads/2025/10/workbook.pdf": b"%PDF-1.4 workbook" * 1000,
    "downloads/2025/10/audio.mp3": bytes(range(256)) * 40,
    "lesson-files/2025/10/notes.txt": b"notes",
}


@pytest.fixture
def local_files():
    """Three downloads whose files sit on local disk (written before the bucket was set)."""
    local = PrivateStorage()
    product = ProductFactory()
    for position, (name, content) in enumerate(FILES.items()):
        assert local.save(name, ContentFile(content)) == name
        Download.objects.create(product=product, title=name, file=name, position=position)
    return local


def move(*arguments: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("move_files", *arguments, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_files_are_copied_to_the_bucket_and_verified(local_files, s3_bucket):
    out, err = move("--to", "s3")

    assert s3_bucket.keys() == sorted(FILES)
    for name, content in FILES.items():
        assert s3_bucket.read(name) == content
        assert local_files.exists(name)  # the source is left as it is
    assert out.splitlines()[-1] == "3 files to s3: 3 copied"
    assert err.splitlines() == [
        "[1/3]  33% downloads/2025/10/audio.mp3",
        "[2/3]  66% downloads/2025/10/workbook.pdf",
        "[3/3] 100% lesson-files/2025/10/notes.txt",
    ]


def test_after_the_move_a_member_downloads_from_the_bucket(client, local_files, s3_bucket):
    move("--to", "s3")
    item = Download.objects.get(file="downloads/2025/10/workbook.pdf")
    member = make_member()
    grant(member, item.product)
    client.force_login(member)

    with time_machine.travel(BOUGHT_AT + timedelta(days=1), tick=False):
        response = client.get(download_url(member=member, download=item))

    assert response.status_code == 302
    assert response["Location"].startswith(f"{s3_bucket.endpoint_url}/{s3_bucket.name}/")


def test_a_second_run_skips_verified_copies_and_replaces_a_broken_one(local_files, s3_bucket):
    move("--to", "s3")
    broken = "downloads/2025/10/workbook.pdf"  # as an interrupted upload would leave it
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key=broken, Body=b"%PDF-1.4 work")

    out, _err = move("--to", "s3")

    assert out.splitlines()[-1] == "3 files to s3: 1 copied, 2 already there"
    assert s3_bucket.read(broken) == FILES[broken]


def test_dry_run_lists_what_it_would_copy_and_copies_nothing(local_files, s3_bucket):
    s3_bucket.client.put_object(
        Bucket=s3_bucket.name, Key="lesson-files/2025/10/notes.txt", Body=b"notes"
    )

    out, _err = move("--to", "s3", "--dry-run")

    assert out.splitlines() == [
        "would copy: downloads/2025/10/audio.mp3",
        "would copy: downloads/2025/10/workbook.pdf",
        "already there: lesson-files/2025/10/notes.txt",
        "3 files to s3: 2 would copy, 1 already there",
    ]
    assert s3_bucket.keys() == ["lesson-files/2025/10/notes.txt"]


def test_files_are_copied_back_to_local_disk(s3_bucket, settings, tmp_path):
    product = ProductFactory()
    for position, (name, content) in enumerate(FILES.items()):
        assert private_storage().save(name, ContentFile(content)) == name  # into the bucket
        Download.objects.create(product=product, title=name, file=name, position=position)
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "back"

    out, _err = move("--to", "local")

    local = PrivateStorage()
    assert {name: local.open(name).read() for name in FILES} == FILES
    assert out.splitlines()[-1] == "3 files to local: 3 copied"


def test_a_file_missing_from_the_source_is_reported_and_fails_the_run(local_files, s3_bucket):
    local_files.delete("downloads/2025/10/audio.mp3")

    with pytest.raises(CommandError, match="1 files were not copied"):
        move("--to", "s3")

    assert s3_bucket.keys() == ["downloads/2025/10/workbook.pdf", "lesson-files/2025/10/notes.txt"]


def test_without_a_bucket_it_refuses_with_one_line(local_files):
    with pytest.raises(CommandError, match="no bucket configured: set AWS_STORAGE_BUCKET_NAME"):
        move("--to", "s3")


def test_a_bucket_that_does_not_answer_stops_the_run_with_one_line(local_files, store_down):
    with pytest.raises(CommandError, match="the bucket does not answer"):
        move("--to", "s3")
