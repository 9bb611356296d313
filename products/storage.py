"""Private files (paid downloads, lesson files, post files, invoice PDFs).

On local disk (the default, ``make run``) they live outside the web root in PRIVATE_MEDIA_ROOT and
are streamed by the views that check access. With ``AWS_STORAGE_BUCKET_NAME`` set they live in an
S3-compatible bucket (django-storages' ``S3Storage``): never public (private ACL, no unsigned
URL), handed to a member who passed the access check as a presigned URL that expires in a minute.

Model fields take ``private_storage``, which returns one lazy proxy: the backend is looked up in
``STORAGES["private"]`` when first used and again after the setting changes (tests switch it).
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, cached_property, empty

PRIVATE_ALIAS = "private"


class StorageUnavailable(Exception):  # noqa: N818 - a state of the store, named as members see it
    """The file store did not answer (down, unreachable or refusing our credentials)."""


def storage_errors() -> tuple[type[Exception], ...]:
    """Exceptions that mean "the store is not answering", whatever backend is configured."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (StorageUnavailable, BotoCoreError, ClientError)


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


class _PrivateStorageProxy(LazyObject):
    def _setup(self) -> None:
        self._wrapped = storages[PRIVATE_ALIAS]


_private = _PrivateStorageProxy()


def private_storage() -> Storage:
    return _private


@receiver(setting_changed)
def _forget_private_storage(*, setting: str, **kwargs) -> None:
    if setting == "STORAGES":
        _private._wrapped = empty


def is_remote(storage: Storage) -> bool:
    """True when the files sit in a bucket (hand out presigned URLs), False on local disk."""
    return not isinstance(storage, FileSystemStorage)


def presigned_url(
    storage: Storage, name: str, *, filename: str, disposition: str = "attachment"
) -> str:
    """A short-lived URL for one object, after checking that the store has it.

    The URL carries the file name (``Content-Disposition``) and expires after
    ``PRIVATE_FILE_URL_SECONDS``. Raises ``FileNotFoundError`` for a missing object and
    ``StorageUnavailable`` when the store does not answer.
    """
    try:
        found = storage.exists(name)
    except storage_errors() as error:
        raise StorageUnavailable(str(error)) from error
    if not found:
        raise FileNotFoundError(name)
    parameters = {
        "ResponseContentDisposition": f"{disposition}; filename*=UTF-8''{quote(filename)}",
        "ResponseCacheControl": "private, no-store",
    }
    return storage.url(name, parameters=parameters, expire=settings.PRIVATE_FILE_URL_SECONDS)


def check_private_storage() -> None:
    """Raise ``StorageUnavailable`` if private files are in a bucket that does not answer."""
    storage = storages[PRIVATE_ALIAS]
    ensure_reachable = getattr(storage, "ensure_reachable", None)
    if ensure_reachable is not None:
        ensure_reachable()
