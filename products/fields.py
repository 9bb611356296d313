"""An image field whose width and height are read when a file is set, not on every load."""

from __future__ import annotations

from django.db import models
from django.db.models.signals import post_init


class SizedImageField(models.ImageField):
    """``ImageField`` with ``width_field`` / ``height_field``, minus its ``post_init`` receiver.

    Django fills the dimension fields when a file is assigned (upload, ``FieldFile.save``), and
    also on every instance loaded from the database, in case a stored file has none: a receiver
    that made an ``ImageFieldFile`` for each product loaded, about 35,000 instructions, a third
    of the cost of loading a product (issue 20: 11 products on the member dashboard). Every
    file here is set through the field, so its row holds its dimensions; a row without them
    shows the image without ``width`` / ``height`` attributes, as the templates allow.
    """

    def contribute_to_class(self, cls, name, **kwargs) -> None:
        super().contribute_to_class(cls, name, **kwargs)
        post_init.disconnect(self.update_dimension_fields, sender=cls)

    def deconstruct(self):
        """Migrations see Django's ``ImageField``: the column is the same, and a changed field
        class would make SQLite rebuild the table (dropping the outline-version triggers)."""
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.ImageField", args, kwargs
