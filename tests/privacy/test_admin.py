"""The creator's side on the admin's member page: export and erase; no plain deletion."""

import io
import zipfile

import pytest

from members.models import MemberEvent, User
from privacy.erasure import placeholder_email
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(db):
    return UserFactory(email="ada@example.test", name="Ada Lovelace")


def test_member_page_shows_both_forms(creator_client, ada):
    page = creator_client.get(f"/admin/members/user/{ada.pk}/member/").content.decode()
    assert f'action="/admin/members/user/{ada.pk}/privacy/export/"' in page
    assert f'action="/admin/members/user/{ada.pk}/privacy/erase/"' in page


def test_export_downloads_the_zip_with_the_reason_in_the_audit_trail(creator_client, creator, ada):
    url = f"/admin/members/user/{ada.pk}/privacy/export/"
    response = creator_client.post(url, {"reason": "Art. 15 request, ticket 7"})

    assert response.status_code == 200
    assert "profile.json" in zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    event = MemberEvent.objects.get(kind="data_exported")
    assert (event.member, event.actor, event.reason) == (ada, creator, "Art. 15 request, ticket 7")
    assert creator_client.get(url).status_code == 405


def test_erase_needs_the_typed_address_and_a_reason(creator_client, ada):
    url = f"/admin/members/user/{ada.pk}/privacy/erase/"
    wrong = creator_client.post(url, {"reason": "asked", "confirm_email": "other@example.test"})
    no_reason = creator_client.post(url, {"reason": " ", "confirm_email": "ada@example.test"})

    assert wrong.status_code == no_reason.status_code == 302
    assert User.objects.get(pk=ada.pk).email == "ada@example.test"
    page = creator_client.get(wrong.url).content.decode()
    assert "Erase refused: a reason is required" in page

    done = creator_client.post(url, {"reason": "asked", "confirm_email": "ADA@example.test"})
    assert done.status_code == 302
    assert User.objects.get(pk=ada.pk).email == placeholder_email(ada.pk)
    assert "Personal data erased" in creator_client.get(done.url).content.decode()


def test_staff_without_delete_permission_cannot_erase(client, ada):
    from django.contrib.auth.models import Permission

    staff = UserFactory(email="help@example.test", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_user"]))
    client.force_login(staff)
    url = f"/admin/members/user/{ada.pk}/privacy/erase/"
    response = client.post(url, {"reason": "asked", "confirm_email": "ada@example.test"})

    assert response.status_code == 403
    assert User.objects.get(pk=ada.pk).is_active


def test_the_admins_delete_leads_to_erasure_instead(creator_client, ada):
    from billing.models import Order
    from tests.factories import ProductFactory

    Order.objects.create(
        member=ada, product=ProductFactory(), provider="stripe", provider_ref="cs_1", currency="EUR"
    )
    response = creator_client.post(f"/admin/members/user/{ada.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert response.url == f"/admin/members/user/{ada.pk}/member/"
    assert User.objects.filter(pk=ada.pk).exists()
    page = creator_client.get(response.url).content.decode()
    assert "Members are not deleted: erase their personal data" in page
    changelist = creator_client.get("/admin/members/user/").content.decode()
    assert "delete_selected" not in changelist
