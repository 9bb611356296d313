"""Settings and Django's module-level regular expressions read without ``LazyObject``'s detour
(issue 20).

``django.conf.settings`` is a ``LazyObject``: every ``settings.X`` runs its Python
``__getattribute__``, which finds the value in the instance's cache and then asks the value for
a ``_mask_wrapped`` attribute it does not have (a failed lookup that builds an exception): about
3,000 instructions more than reading an attribute, 40-100 times per page. Django's module-level
regular expressions (``_lazy_re_compile``: the ``Cache-Control`` splitter, the host and CSRF
token checks, the response's charset) are ``SimpleLazyObject``s, and each use goes through the
failed lookup, ``__getattr__`` and the proxy: 13,000 instructions, 6-8 times per page.

``install()``:

- gives ``LazySettings`` a ``__getattribute__`` that returns a cached setting at once when the
  cached value is of a plain type (text, numbers, ``None``, containers), which cannot carry the
  ``_mask_wrapped`` marker; any other name or value goes through ``LazyObject``'s own method, as
  before. The cache is Django's (``LazySettings.__dict__``): ``override_settings``, assignment
  and deletion keep it right, as they always did;
- compiles the lazily compiled regular expressions found in loaded ``django.*`` modules and puts
  the compiled pattern in the module's namespace. A pattern has no state, and each would be
  compiled on its first use anyway.

``tests/site/test_lazy_reads.py`` checks the answers against Django's.
"""

from __future__ import annotations

import re
import sys
from pathlib import PosixPath

from django.conf import LazySettings
from django.utils.functional import LazyObject, SimpleLazyObject

_object_getattribute = object.__getattribute__
_PLAIN = frozenset({str, int, bool, float, type(None), tuple, list, dict, set, frozenset,
                    bytes, PosixPath})  # fmt: skip
_COMPILE = "_lazy_re_compile.<locals>._compile"
_missing = object()


def _install_settings_reads() -> None:
    if "__getattribute__" in LazySettings.__dict__:
        return
    class_names = frozenset(dir(LazySettings))
    lazy_getattribute = LazyObject.__getattribute__

    def getattribute(self, name):
        if name not in class_names:
            value = _object_getattribute(self, "__dict__").get(name, _missing)
            if type(value) in _PLAIN:
                return value
        return lazy_getattribute(self, name)

    LazySettings.__getattribute__ = getattribute


def lazy_patterns() -> list[tuple[object, str, SimpleLazyObject]]:
    """(module, name, lazy pattern) for each ``_lazy_re_compile`` result in a ``django.*``
    module's namespace."""
    found = []
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("django.") or module is None:
            continue
        for name, value in list(vars(module).items()):
            if type(value) is SimpleLazyObject:
                setup = value.__dict__.get("_setupfunc")
                if getattr(setup, "__qualname__", "") == _COMPILE:
                    found.append((module, name, value))
    return found


def _compile_patterns() -> None:
    for module, name, lazy in lazy_patterns():
        compiled = lazy.__dict__["_setupfunc"]()
        if isinstance(compiled, re.Pattern):
            setattr(module, name, compiled)


def install() -> None:
    _install_settings_reads()
    _compile_patterns()
