"""Private files (paid downloads, invoice PDFs) live outside the web root, in PRIVATE_MEDIA_ROOT.

They have no public URL: they are served only through views that check access.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.functional import cached_property


class PrivateStorage(FileSystemStorage):
    def __init__(self, **kwargs) -> None:
        kwargs["base_url"] = None
        super().__init__(**kwargs)

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs) -> None:
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name) -> str:
        raise ValueError("Private files have no public URL; serve them through a signed view.")


def private_storage() -> Storage:
    return storages["private"]
