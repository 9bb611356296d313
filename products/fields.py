"""An image field whose width and height are read when a file is set, not on every load."""

from __future__ import annotations

from django.db import models
from django.db.models.signals import post_init


class SizedImageField(models.ImageField):
    """``ImageField`` with ``width_field`` / ``height_field``, minus its ``post_init`` receiver.

    Django fills the dimension fields when a file is assigned (upload, ``FieldFile.save``), and
    also on every instance loaded from the database, in case a stored file has none: a receiver
    that made an ``ImageFieldFile`` for each product loaded, about 35,000 instructions, a third
    of the cost of loading a product (issue 20: 11 products on the member dashboard).

    Django also relies on that receiver to measure a file given to the constructor
    (``Product(cover=name)``, a copy, a fixture), which assigning on a new instance skips: such a
    file is measured when the row is saved instead, if its dimensions are empty. A stored row
    without them shows the image without ``width`` / ``height`` attributes, as the templates allow.
    """

    def contribute_to_class(self, cls, name, **kwargs) -> None:
        super().contribute_to_class(cls, name, **kwargs)
        post_init.disconnect(self.update_dimension_fields, sender=cls)

    def pre_save(self, model_instance, add):
        file = super().pre_save(model_instance, add)
        if file and any(
            getattr(model_instance, name) in (None, "")
            for name in (self.width_field, self.height_field)
            if name
        ):
            self.update_dimension_fields(model_instance, force=True)
        return file

    def deconstruct(self):
        """Migrations see Django's ``ImageField``: the column is the same, and a changed field
        class would make SQLite rebuild the table (dropping the outline-version triggers)."""
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.ImageField", args, kwargs
