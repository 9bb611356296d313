"""Reads of asgiref's ``Local`` without a failed lookup and an exception each (issue 20).

Django keeps the active language, time zone, URL configuration and script prefix in asgiref
``Local`` objects, and its database connections in a thread-critical one. A member page reads
them 40-60 times (``get_language``, ``gettext``, ``reverse``, ``connections[alias]``), and each
read cost 8,000-12,000 instructions, about 5 % of the page:

- ``Local`` answers through ``__getattr__``, which Python calls only after the ordinary lookup
  has failed: on Python 3.11 that failure builds and formats an ``AttributeError`` first. The
  default ``Local`` then takes a lock and reads its ``_CVar``, which answers through
  ``__getattr__`` too: a second formatted exception.
- The thread-critical ``Local`` asks ``asyncio.get_running_loop()``, which raises
  ``RuntimeError`` in every synchronous thread, to learn that it is in one.

``install()`` gives asgiref's two ``Local`` classes a ``__getattribute__`` that reads the same
storage directly, with the same answers:

- A name the ``Local`` object (or its ``_CVar``) has itself, such as ``_storage`` or a method,
  is looked up as before.
- Default ``Local``: the value in the context variable's storage, if that storage belongs to the
  current thread (as ``_CVar._storage`` checks). The lock is not needed to read: asgiref never
  changes a storage's dict once it is set, each write sets a new copy.
- Thread-critical ``Local``: in a thread without a running event loop
  (``asyncio._get_running_loop() is None``, exactly when ``get_running_loop`` raises), the
  ``threading.local``; otherwise asgiref's own way, unchanged.
- Default ``Local`` writes and deletes: asgiref's steps (under its lock, a copy of the current
  thread's data with the change, set as a new storage), without the detour through ``_CVar``.
  Thread-critical writes are asgiref's.

It depends on asgiref's private structure (3.13: ``_DefaultLocal``, ``_ThreadCriticalLocal``,
``_CVar._data``, ``_Storage.thread_id``/``data``). If that structure is not found, nothing is
changed; ``tests/site/test_fast_locals.py`` fails then, and checks the answers (threads, async
tasks, ``sync_to_async``/``async_to_sync``) against asgiref's own behaviour.
"""

from __future__ import annotations

import asyncio
import threading
from contextvars import ContextVar

from asgiref import local as asgiref_local

_object_getattribute = object.__getattribute__
_get_ident = threading.get_ident
_running_loop = asyncio._get_running_loop  # noqa: SLF001 - what get_running_loop() reads


def _structure_found() -> bool:
    default = getattr(asgiref_local, "_DefaultLocal", None)
    critical = getattr(asgiref_local, "_ThreadCriticalLocal", None)
    cvar, storage = getattr(asgiref_local, "_CVar", None), getattr(asgiref_local, "_Storage", None)
    if None in (default, critical, cvar, storage):
        return False
    try:
        local, critical_local = asgiref_local.Local(), asgiref_local.Local(thread_critical=True)
    except TypeError:
        return False
    own_storage = local.__dict__.get("_storage")
    return (
        type(local) is default
        and type(critical_local) is critical
        and isinstance(own_storage, cvar)
        and isinstance(own_storage.__dict__.get("_data"), ContextVar)
        and set(getattr(storage, "__slots__", ())) == {"thread_id", "data"}
        and isinstance(critical_local.__dict__.get("_storage"), threading.local)
    )


def _own_names(*instances) -> frozenset[str]:
    """Names the ordinary lookup finds on these objects (class attributes, instance dicts)."""
    return frozenset(name for instance in instances for name in dir(instance))


def install() -> bool:
    """Give asgiref's ``Local`` classes the direct reads; False if its structure is unknown."""
    if getattr(asgiref_local, "_fast_reads_installed", False):
        return True
    if not _structure_found():
        return False
    default_class = asgiref_local._DefaultLocal  # noqa: SLF001
    critical_class = asgiref_local._ThreadCriticalLocal  # noqa: SLF001
    sample = asgiref_local.Local()
    default_own = _own_names(sample, sample.__dict__["_storage"])
    critical_own = _own_names(asgiref_local.Local(thread_critical=True))
    default_getattr, critical_getattr = default_class.__getattr__, critical_class.__getattr__

    def default_getattribute(self, key):
        if key in default_own:
            return _object_getattribute(self, key)
        storage = _object_getattribute(self, "_storage")._data.get(None)
        if storage is not None and storage.thread_id == _get_ident():
            data = storage.data
            if key in data:
                return data[key]
        raise AttributeError(f"'Local' object has no attribute {key!r}")

    def default_missing(self, key):
        # Reached when default_getattribute raised: asgiref's way for its own names.
        if key in default_own:
            return default_getattr(self, key)
        raise AttributeError(f"'Local' object has no attribute {key!r}")

    storage_class = asgiref_local._Storage  # noqa: SLF001

    def default_setattr(self, key, value):
        # asgiref: under the lock, a copy of this thread's data with the value, set anew.
        if key == "_data":
            raise AttributeError("Cannot set attribute '_data' on Local")
        var, ident = _object_getattribute(self, "_storage")._data, _get_ident()
        with _object_getattribute(self, "_lock"):
            storage = var.get(None)
            data = storage.data.copy() if storage is not None and storage.thread_id == ident else {}
            data[key] = value
            var.set(storage_class(ident, data))

    def default_delattr(self, key):
        var, ident = _object_getattribute(self, "_storage")._data, _get_ident()
        with _object_getattribute(self, "_lock"):
            storage = var.get(None)
            if storage is None or storage.thread_id != ident or key not in storage.data:
                raise AttributeError(f"'Local' object has no attribute {key!r}")
            data = storage.data.copy()
            del data[key]
            var.set(storage_class(ident, data))

    def critical_getattribute(self, key):
        if key in critical_own:
            return _object_getattribute(self, key)
        if _running_loop() is None:
            return getattr(_object_getattribute(self, "_storage"), key)
        return critical_getattr(self, key)

    def critical_missing(self, key):
        if key in critical_own:
            return critical_getattr(self, key)
        raise AttributeError(f"'Local' object has no attribute {key!r}")

    _originals.update({
        (default_class, "__getattr__"): default_getattr,
        (critical_class, "__getattr__"): critical_getattr,
        (default_class, "__getattribute__"): default_class.__dict__.get("__getattribute__"),
        (default_class, "__setattr__"): default_class.__dict__["__setattr__"],
        (default_class, "__delattr__"): default_class.__dict__["__delattr__"],
        (critical_class, "__getattribute__"): critical_class.__dict__.get("__getattribute__"),
    })  # fmt: skip
    default_class.__getattribute__ = default_getattribute
    default_class.__getattr__ = default_missing
    default_class.__setattr__ = default_setattr
    default_class.__delattr__ = default_delattr
    critical_class.__getattribute__ = critical_getattribute
    critical_class.__getattr__ = critical_missing
    asgiref_local._fast_reads_installed = True
    return True


_originals: dict[tuple[type, str], object] = {}


def uninstall() -> None:
    """asgiref's own reads back (for tests that compare the two)."""
    for (cls, name), original in _originals.items():
        if original is None:
            delattr(cls, name)
        else:
            setattr(cls, name, original)
    _originals.clear()
    asgiref_local._fast_reads_installed = False
