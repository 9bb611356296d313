"""A sign-up whose User-Agent header carries NUL or a lone surrogate (PostgreSQL cannot store
either) still gets its "check your inbox" page, never a 500."""

from __future__ import annotations

import pytest

from leads.models import SignUp
from tests.leads.helpers import form_data, free_product, signup_url

pytestmark = pytest.mark.django_db


def test_a_nul_in_the_user_agent_is_stored_replaced(client, mailoutbox):
    product = free_product()

    response = client.post(signup_url(product), form_data(), HTTP_USER_AGENT="Bot\x00/1.0")

    assert response.status_code == 200
    assert SignUp.objects.get().user_agent == "Bot\ufffd/1.0"
