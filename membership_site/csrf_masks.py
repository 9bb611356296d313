"""The CSRF token's random mask drawn with one read of the system's random source (issue 20).

Every page carries a CSRF token (the logout and language forms in the chrome), and Django masks
the secret afresh for each response (against BREACH). Its ``_get_new_csrf_string`` draws the 32
letters of the mask with ``secrets.choice``, one ``getrandom`` system call per letter, then adds
the secret letter by letter in Python: about 250,000 instructions and 32 system calls per page,
3 % of a lesson page.

Here the same thing is done with one ``os.urandom`` read and C-level byte operations:

- a random byte below 248 (4 × 62) taken modulo 62 is uniform over the 62 letters; bytes from
  248 up are dropped and more are read until 32 remain (``bytes.translate``), so every letter of
  the mask is as uniform and independent as ``secrets.choice`` makes it;
- the token is Django's: ``mask + cipher`` with ``cipher[i] = chars[(secret[i] + mask[i]) % 62]``,
  read back by Django's own ``_unmask_cipher_token``.

``install()`` replaces the two private functions of ``django.middleware.csrf`` that do this
(``tests/site/test_csrf_masks.py`` checks tokens against Django's unmasking and that the
replacements are in place, so a Django upgrade that renames them fails a test, not silently).
"""

from __future__ import annotations

import operator
import os

from django.middleware import csrf

CHARS = csrf.CSRF_ALLOWED_CHARS
LENGTH = csrf.CSRF_SECRET_LENGTH
_N = len(CHARS)
_KEEP = 256 - 256 % _N  # bytes below this, modulo 62, are uniform
_DROP = bytes(range(_KEEP, 256))
_INDEX_OF_BYTE = bytes(value % _N if value < _KEEP else 0 for value in range(256))
_CHAR_OF_BYTE = bytes(ord(CHARS[value % _N]) if value < _KEEP else 0 for value in range(256))
_INDEX_OF_CHAR = bytes(CHARS.index(chr(c)) if chr(c) in CHARS else 0 for c in range(256))
_TIMES_N = [index * _N for index in range(_N)]
# (secret index × 62 + mask index) -> the cipher letter chars[(secret + mask) % 62]
_SUM_CHAR = bytes(ord(CHARS[(pair // _N + pair % _N) % _N]) for pair in range(_N * _N))


def random_indices(length: int = LENGTH) -> bytes:
    """``length`` independent, uniform indices into ``CHARS`` (0-61), from ``os.urandom``."""
    found = b""
    while len(found) < length:
        found += os.urandom(length + 8).translate(_INDEX_OF_BYTE, _DROP)
    return found[:length]


def new_csrf_string() -> str:
    """``django.middleware.csrf._get_new_csrf_string``: 32 random letters of ``CHARS``."""
    return random_indices().translate(_CHAR_OF_BYTE).decode("ascii")


def mask_cipher_secret(secret: str) -> str:
    """``django.middleware.csrf._mask_cipher_secret``: a fresh mask, then the secret added."""
    mask = random_indices(len(secret))
    secret_indices = secret.encode("ascii").translate(_INDEX_OF_CHAR)
    pairs = map(operator.add, map(_TIMES_N.__getitem__, secret_indices), mask)
    cipher = bytes(map(_SUM_CHAR.__getitem__, pairs))
    return mask.translate(_CHAR_OF_BYTE).decode("ascii") + cipher.decode("ascii")


def install() -> None:
    csrf._get_new_csrf_string = new_csrf_string
    csrf._mask_cipher_secret = mask_cipher_secret
