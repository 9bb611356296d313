"""CSRF tokens masked from one random read (``membership_site.csrf_masks``) are Django's tokens:
Django unmasks them to the secret, each response gets a fresh mask, and forms still pass."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.middleware import csrf
from django.test import Client, RequestFactory
from django.urls import reverse

from membership_site import csrf_masks


def test_the_site_uses_the_one_read_masks():
    assert csrf._get_new_csrf_string is csrf_masks.new_csrf_string
    assert csrf._mask_cipher_secret is csrf_masks.mask_cipher_secret


def test_a_masked_token_unmasks_to_its_secret_with_djangos_code():
    for _ in range(500):
        secret = csrf_masks.new_csrf_string()
        assert len(secret) == 32
        assert set(secret) <= set(csrf.CSRF_ALLOWED_CHARS)
        token = csrf_masks.mask_cipher_secret(secret)
        assert len(token) == 64
        assert csrf._unmask_cipher_token(token) == secret


def test_each_page_gets_a_fresh_mask_of_the_same_secret():
    request = RequestFactory().get("/")
    csrf.CsrfViewMiddleware(lambda request: None).process_request(request)
    first, second = csrf.get_token(request), csrf.get_token(request)
    assert first != second
    assert csrf._unmask_cipher_token(first) == csrf._unmask_cipher_token(second)


def test_letters_are_uniform_over_the_alphabet():
    """62,000 letters: each of the 62 near 1,000 (a bias toward the first letters, as a plain
    ``byte % 62`` would make, puts eight at about 1,240; the bounds are 5.7 standard deviations)."""
    counts = Counter("".join(csrf_masks.new_csrf_string() for _ in range(62_000 // 32 + 1)))
    assert set(counts) == set(csrf.CSRF_ALLOWED_CHARS)
    assert all(820 < count < 1180 for count in counts.values()), counts.most_common(3)


def test_bytes_that_would_bias_the_letters_are_dropped(monkeypatch):
    """A byte of 248 or more (beyond four whole rounds of 62) is never used: more are read."""
    reads = iter([bytes([255, 248, 0, 61, 62, 247]) * 7, bytes(range(40))])
    monkeypatch.setattr(csrf_masks.os, "urandom", lambda length: next(reads))
    indices = csrf_masks.random_indices(32)
    assert list(indices[:28]) == [0, 61, 0, 61] * 7  # 62 -> 0, 247 -> 61; 255 and 248 dropped
    assert list(indices[28:]) == [0, 1, 2, 3]  # 28 were left: a second read


@pytest.mark.django_db
def test_a_form_posted_with_the_pages_token_passes_the_csrf_check():
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("account_login"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    answer = client.post(reverse("account_login"), {"csrfmiddlewaretoken": token, "login": "x"})
    assert answer.status_code == 200  # the form again, with its error: not 403
    forged = client.post(reverse("account_login"), {"csrfmiddlewaretoken": "a" * 64})
    assert forged.status_code == 403
