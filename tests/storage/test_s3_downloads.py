"""Private files in an S3 bucket (moto's S3 server on a local port): uploaded through the admin,
never public, and handed to a member who passed the access check as a presigned URL that expires
and is good for that file only."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from members.downloads import attachment_url, download_url
from members.models import AccessGrant, DownloadUse, GrantEvent
from products.models import Download, LessonAttachment, Product
from tests.admin_forms import add_inline_row, admin_form_data
from tests.factories import DownloadFactory, ProductFactory
from tests.members.helpers import BOUGHT_AT, grant, make_course, make_member

pytestmark = pytest.mark.django_db
NOW = BOUGHT_AT + timedelta(days=1)
PDF = b"%PDF-1.4 workbook in a bucket"


def http_get(url: str) -> tuple[int, dict[str, str], bytes]:
    """GET with a plain HTTP client, as the member's browser follows the redirect."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - local test server
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers), refused.read()


@pytest.fixture
def owned(client, s3_bucket):
    item = DownloadFactory(file__filename="Ärger & Freude.pdf", file__data=PDF)
    member = make_member()
    access = grant(member, item.product)
    client.force_login(member)
    return item, member, access


def follow_link(client, member, item, at=NOW):
    with time_machine.travel(at, tick=False):
        return client.get(download_url(member=member, download=item))


def test_an_upload_in_the_admin_lands_in_the_bucket_and_is_not_public(creator_client, s3_bucket):
    product = ProductFactory(kind=Product.Kind.DOWNLOAD, name="Workbook")
    change = reverse("admin:products_product_change", args=[product.pk])
    data = admin_form_data(creator_client.get(change))
    upload = SimpleUploadedFile("workbook.pdf", PDF, content_type="application/pdf")
    add_inline_row(data, "downloads", title="The workbook", position="1", file=upload)

    assert creator_client.post(change, data).status_code == 302

    (key,) = s3_bucket.keys()
    assert key == Download.objects.get(product=product).file.name
    assert key.startswith("downloads/")
    assert key.endswith(".pdf")
    assert s3_bucket.read(key) == PDF
    grants = s3_bucket.client.get_object_acl(Bucket=s3_bucket.name, Key=key)["Grants"]
    assert [entry["Permission"] for entry in grants] == ["FULL_CONTROL"]  # the owner only
    status, _headers, _body = http_get(f"{s3_bucket.endpoint_url}/{s3_bucket.name}/{key}")
    assert status == 403  # no unsigned URL reads it


def test_a_members_download_redirects_to_a_presigned_url_with_the_file_name(client, owned):
    item, member, _access = owned

    response = follow_link(client, member, item)

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    location = response["Location"]
    assert location.startswith(f"{owned_endpoint(item)}/")
    query = parse_qs(urlsplit(location).query)
    assert query["X-Amz-Expires"] == ["60"]
    assert query["X-Amz-Date"] == ["20251102T120000Z"]
    with time_machine.travel(NOW + timedelta(seconds=5), tick=False):
        status, headers, body = http_get(location)
    assert (status, body) == (200, PDF)
    assert headers["Content-Disposition"] == (
        "attachment; filename*=UTF-8''%C3%84rger__Freude.pdf"  # Django's cleaned name
    )


def owned_endpoint(item) -> str:
    storage = item.file.storage
    return f"{storage.endpoint_url}/{storage.bucket_name}"


def test_the_presigned_url_expires_after_a_minute(client, owned):
    item, member, _access = owned
    location = follow_link(client, member, item)["Location"]

    with time_machine.travel(NOW + timedelta(seconds=59), tick=False):
        in_time = http_get(location)
    with time_machine.travel(NOW + timedelta(seconds=61), tick=False):
        too_late = http_get(location)

    assert in_time[0] == 200
    assert too_late[0] == 403
    assert b"Request has expired" in too_late[2]


def test_a_presigned_url_is_good_for_its_own_file_only(client, owned, s3_bucket):
    item, member, _access = owned
    other = DownloadFactory(product=item.product, file__filename="other.pdf", file__data=b"other")
    location = follow_link(client, member, item)["Location"]
    parts = urlsplit(location)
    altered = parts._replace(path=f"/{s3_bucket.name}/{other.file.name}").geturl()

    with time_machine.travel(NOW + timedelta(seconds=5), tick=False):
        status, _headers, body = http_get(altered)

    assert status == 403
    assert b"SignatureDoesNotMatch" in body


def test_another_member_following_the_link_gets_no_file_and_no_record(client, owned):
    item, member, _access = owned
    with time_machine.travel(NOW, tick=False):
        link = download_url(member=member, download=item)
    intruder = make_member(email="intruder@x.test")
    grant(intruder, ProductFactory())  # a member, but not of this product and not the link's
    client.force_login(intruder)

    with time_machine.travel(NOW, tick=False):
        response = client.get(link)

    assert response.status_code == 403
    assert "Location" not in response
    assert not DownloadUse.objects.exists()


def test_first_use_and_download_are_recorded_as_on_local_disk(client, owned):
    item, member, access = owned

    follow_link(client, member, item)
    follow_link(client, member, item, at=NOW + timedelta(minutes=5))

    use = DownloadUse.objects.get(member=member, download=item)
    assert (use.count, use.first_at, use.last_at) == (2, NOW, NOW + timedelta(minutes=5))
    access.refresh_from_db()
    assert access.first_used_at == NOW
    assert GrantEvent.objects.filter(grant=access, kind=GrantEvent.Kind.FIRST_USE).count() == 1


def test_a_member_without_access_is_not_redirected(client, owned):
    item, member, access = owned
    AccessGrant.objects.filter(pk=access.pk).update(state=AccessGrant.State.REVOKED)

    response = follow_link(client, member, item)

    assert response.status_code == 403
    assert "Location" not in response
    assert not DownloadUse.objects.exists()


def test_a_lesson_file_is_handed_out_the_same_way(client, s3_bucket):
    course = make_course(days=(0,))
    attachment = LessonAttachment(lesson=course.lessons[0], title="Notes")
    attachment.file.save("notes.txt", ContentFile(b"lesson notes"), save=True)
    member = make_member()
    grant(member, course.product)
    client.force_login(member)

    with time_machine.travel(NOW, tick=False):
        response = client.get(attachment_url(member=member, attachment=attachment))
        status, _headers, body = http_get(response["Location"])

    assert response.status_code == 302
    assert (status, body) == (200, b"lesson notes")


def test_a_file_missing_from_the_bucket_is_a_404_not_a_dead_link(client, owned, s3_bucket):
    item, member, _access = owned
    s3_bucket.client.delete_object(Bucket=s3_bucket.name, Key=item.file.name)

    response = follow_link(client, member, item)

    assert response.status_code == 404
    assert not DownloadUse.objects.exists()
