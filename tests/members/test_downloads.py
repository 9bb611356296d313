"""Downloads only through signed, expiring links bound to the member."""

from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.urls import reverse

from members.downloads import SALT, download_url
from members.models import AccessGrant, DownloadUse, GrantEvent
from tests.factories import DownloadFactory
from tests.members.helpers import BOUGHT_AT, grant, make_member

pytestmark = pytest.mark.django_db
NOW = BOUGHT_AT + timedelta(days=1)


@pytest.fixture
def owned(client):
    item = DownloadFactory()
    member = make_member()
    access = grant(member, item.product)
    client.force_login(member)
    return item, member, access


def fetch(client, url, at=NOW):
    with time_machine.travel(at, tick=False):
        return client.get(url)


def test_the_product_page_lists_a_personal_link_that_streams_the_file(client, owned):
    item, member, _access = owned
    page = fetch(client, item.product.get_absolute_url()).content.decode()
    with time_machine.travel(NOW, tick=False):
        url = download_url(member=member, download=item)
    assert f'href="{url}"' in page

    response = fetch(client, url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test file"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"


def test_with_x_accel_redirect_nginx_streams_the_file(client, owned, settings):
    settings.DOWNLOAD_X_ACCEL_REDIRECT_PREFIX = "/protected/"
    item, member, _access = owned

    response = fetch(client, download_url(member=member, download=item))

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected/{item.file.name}"
    assert response.content == b""


def test_uses_are_counted_and_the_first_use_is_recorded(client, owned):
    item, member, access = owned
    url = download_url(member=member, download=item)

    fetch(client, url)
    fetch(client, url, at=NOW + timedelta(minutes=5))

    use = DownloadUse.objects.get(member=member, download=item)
    assert (use.count, use.first_at, use.last_at) == (2, NOW, NOW + timedelta(minutes=5))
    access.refresh_from_db()
    assert access.first_used_at == NOW
    assert GrantEvent.objects.filter(grant=access, kind=GrantEvent.Kind.FIRST_USE).count() == 1


def test_a_tampered_link_gets_403(client, owned):
    item, member, _access = owned
    token = signing.dumps({"d": item.pk, "m": member.pk}, salt=SALT)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")

    response = fetch(client, reverse("members:download", kwargs={"token": forged}))

    assert response.status_code == 403
    assert not DownloadUse.objects.exists()


def test_a_guessed_link_signed_with_another_key_gets_403(client, owned):
    item, member, _access = owned
    token = signing.dumps({"d": item.pk, "m": member.pk}, salt=SALT, key="guessed-key")

    assert fetch(client, reverse("members:download", kwargs={"token": token})).status_code == 403


def test_an_expired_link_gets_403(client, owned, settings):
    settings.DOWNLOAD_LINK_MAX_AGE_SECONDS = 3600
    item, member, _access = owned
    with time_machine.travel(NOW, tick=False):
        url = download_url(member=member, download=item)

    assert fetch(client, url, at=NOW + timedelta(seconds=3599)).status_code == 200
    assert fetch(client, url, at=NOW + timedelta(seconds=3601)).status_code == 403


def test_another_members_link_gets_403(client, owned):
    item, member, _access = owned
    other = make_member()
    grant(other, item.product)
    with time_machine.travel(NOW, tick=False):
        url = download_url(member=member, download=item)
    client.force_login(other)

    assert fetch(client, url).status_code == 403
    assert not DownloadUse.objects.exists()


def test_a_link_to_an_unknown_download_gets_404(client, owned):
    _item, member, _access = owned
    token = signing.dumps({"d": 987654, "m": member.pk}, salt=SALT)

    assert fetch(client, reverse("members:download", kwargs={"token": token})).status_code == 404


def test_a_valid_link_after_access_ended_gets_403(client, owned):
    item, member, access = owned
    with time_machine.travel(NOW, tick=False):
        url = download_url(member=member, download=item)
    AccessGrant.objects.filter(pk=access.pk).update(state=AccessGrant.State.REVOKED)

    response = fetch(client, url)

    assert response.status_code == 403
    assert not DownloadUse.objects.exists()


def test_a_visitor_is_sent_to_login(client):
    item = DownloadFactory()
    member = make_member()
    url = download_url(member=member, download=item)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
