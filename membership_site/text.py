"""Text that PostgreSQL cannot store or compare: NUL characters and lone surrogates.

SQLite takes both, so code that passes its tests can still fail on PostgreSQL; the webhook
intake cleans such text (``billing.storable``) and request URLs carrying it are refused
(``membership_site.middleware``).
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def has_unstorable_text(value: str) -> bool:
    return _UNSTORABLE.search(value) is not None


def clean_text(value: str) -> str:
    """``value`` with NUL and lone surrogates replaced by U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, value)
