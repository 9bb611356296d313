"""Texts a process formats once and keeps: labels by day and language, reversed URLs (issue 20).

Member pages write the same "opens on 24 Dec", "3 of 20 lessons done" or post URL for many rows
and requests; each depends only on its key (a day, a language, a slug...), so it is made once.
Each store is bounded (it stops remembering when full, and keeps working) and emptied when a
test changes a setting (formats, languages, URLs).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from django.core.signals import setting_changed

MAX_ENTRIES = 4096


class Remembered:
    """``get(key, make)``: ``make()`` the first time, the remembered value afterwards."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._found: dict[Hashable, Any] = {}
        self._max = max_entries
        setting_changed.connect(self._forget, weak=False)

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        found = self._found.get(key)
        if found is None:
            found = make()
            if len(self._found) < self._max:
                self._found[key] = found
        return found

    def _forget(self, **_kwargs) -> None:
        self._found.clear()
