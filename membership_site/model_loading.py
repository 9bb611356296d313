"""Model instances loaded from the database without running ``Model.__init__`` (issue 20).

Every row the ORM reads becomes an instance through ``Model.from_db``, which calls
``cls(*values)``: ``Model.__init__`` then sends ``pre_init``, walks the fields with ``setattr``
one by one, and sends ``post_init``. Counted with valgrind, that came to 50,000-75,000
instructions per instance on this project's models, a tenth of the member dashboard (25
instances). For a full row (every concrete field loaded, as every member page reads them) the
same instance can be made by filling its ``__dict__`` directly: about a third of the work.

``FastFromDb.from_db`` is Django's documented hook for this. It takes the short way only where
the result is the one ``Model.__init__`` would give, and checks that once per model class:

- the model does not override ``__init__`` or ``__setattr__``;
- no field's attribute is a descriptor that does more than store the value when set on a new
  instance (Django's foreign-key and file descriptors only store it then);
- the row holds every concrete field (a deferred field goes through Django's own path).

``pre_init`` and ``post_init`` are still sent when anything listens (an ``ImageField`` with
dimension fields listens to ``post_init``), and ``_state`` is set after ``post_init``, as
Django's ``from_db`` does. ``tests/site/test_model_loading.py`` compares the instances with
Django's for every model that uses the mixin.
"""

from __future__ import annotations

import inspect

from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.fields.files import FileDescriptor, ImageFileDescriptor
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.signals import post_init, pre_init

# Descriptors whose ``__set__`` on a new instance only stores the value under the attname.
_STORING_DESCRIPTORS = (ForeignKeyDeferredAttribute, FileDescriptor, ImageFileDescriptor)

_attnames_by_model: dict[type, tuple[str, ...] | None] = {}


def fast_attnames(model: type[Model]) -> tuple[str, ...] | None:
    """The concrete fields' attnames in ``from_db`` order, or None if ``model`` must be built by
    ``Model.__init__`` (it or a field's descriptor does more than store values)."""
    if model in _attnames_by_model:
        return _attnames_by_model[model]
    names: tuple[str, ...] | None = tuple(field.attname for field in model._meta.concrete_fields)
    if model.__init__ is not Model.__init__ or model.__setattr__ is not object.__setattr__:
        names = None
    for name in names or ():
        descriptor = inspect.getattr_static(model, name, None)
        if hasattr(type(descriptor), "__set__") and type(descriptor) not in _STORING_DESCRIPTORS:
            names = None
            break
    _attnames_by_model[model] = names
    return names


class FastFromDb:
    """Mixin for a model (before ``models.Model``): rows load as by ``Model.from_db``, faster."""

    @classmethod
    def from_db(cls, db, field_names, values):
        names = _attnames_by_model.get(cls, False)
        if names is False:
            names = fast_attnames(cls)
        if names is None or len(values) != len(names):
            return super().from_db(db, field_names, values)
        if pre_init.receivers:
            pre_init.send(sender=cls, args=tuple(values), kwargs={})
        new = cls.__new__(cls)
        state = new.__dict__["_state"] = ModelState()
        new.__dict__.update(zip(names, values, strict=True))  # lengths checked above
        if post_init.receivers:
            post_init.send(sender=cls, instance=new)
        state.adding, state.db = False, db
        return new
