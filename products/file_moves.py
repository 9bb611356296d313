"""Copy stored files between local disk and the bucket, verifying each copy.

Used by ``manage.py move_files``. The names come from the database (every file field stored
through the storage being moved), so a file is copied to the same name and no row changes. Each file
is copied only if the target lacks a verified copy: the target's size and SHA-256 must equal the
source's. A run that stops half-way is simply run again (resumable). The source is never changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from django.apps import apps
from django.core.files.storage import Storage

CHUNK = 1024 * 1024


class Outcome(StrEnum):
    COPIED = "copied"
    WOULD_COPY = "would copy"
    VERIFIED = "already there"
    MISSING = "missing from the source"
    MISMATCH = "copy does not match"


@dataclass(frozen=True)
class Fingerprint:
    size: int
    sha256: str


@dataclass(frozen=True)
class Move:
    name: str
    outcome: Outcome
    size: int | None = None

    @property
    def failed(self) -> bool:
        return self.outcome in {Outcome.MISSING, Outcome.MISMATCH}


def stored_file_names(storage: Storage) -> list[str]:
    """Every file the database names in fields stored through ``storage``, sorted, no repeats."""
    names: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if getattr(field, "storage", None) is storage:
                values = model._default_manager.exclude(**{field.name: ""}).values_list(
                    field.name, flat=True
                )
                names.update(value for value in values.iterator() if value)
    return sorted(names)


def fingerprint(storage: Storage, name: str) -> Fingerprint | None:
    """Size and SHA-256 of a stored file, read in chunks; None if the storage lacks it."""
    if not storage.exists(name):
        return None
    digest = hashlib.sha256()
    size = 0
    with storage.open(name, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return Fingerprint(size=size, sha256=digest.hexdigest())


def move_file(*, source: Storage, target: Storage, name: str, dry_run: bool) -> Move:
    """Copy one file unless the target holds a verified copy already (safe to repeat)."""
    original = fingerprint(source, name)
    copy = fingerprint(target, name)
    if original is None:
        return Move(name, Outcome.VERIFIED if copy is not None else Outcome.MISSING)
    if copy == original:
        return Move(name, Outcome.VERIFIED, original.size)
    if dry_run:
        return Move(name, Outcome.WOULD_COPY, original.size)
    if copy is not None:  # a broken copy from an interrupted run: replace it
        target.delete(name)
    with source.open(name, "rb") as handle:
        stored_as = target.save(name, handle)
    if stored_as != name or fingerprint(target, name) != original:
        return Move(name, Outcome.MISMATCH, original.size)
    return Move(name, Outcome.COPIED, original.size)


def move_files(*, jobs: list[tuple[Storage, Storage, str]], dry_run: bool) -> Iterator[Move]:
    """Each job is (source, target, name)."""
    for source, target, name in jobs:
        yield move_file(source=source, target=target, name=name, dry_run=dry_run)
