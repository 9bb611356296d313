"""The S3 backends, imported only when ``AWS_STORAGE_BUCKET_NAME`` is set."""

from __future__ import annotations

from django.conf import settings
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage

from products.storage import StorageUnavailable, storage_errors


class PrivateS3Storage(S3Storage):
    """A private bucket: objects written with the private ACL, never overwritten, and read
    only through presigned URLs (``querystring_auth``), whatever the options say."""

    def __init__(self, **options) -> None:
        options.update(default_acl="private", querystring_auth=True, file_overwrite=False)
        super().__init__(**options)

    def ensure_reachable(self) -> None:
        """Raise ``StorageUnavailable`` unless the bucket answers to our credentials."""
        try:
            self.connection.meta.client.head_bucket(Bucket=self.bucket_name)
        except storage_errors() as error:
            raise StorageUnavailable(f"bucket {self.bucket_name!r}: {error}") from error


class PublicMediaS3Storage(PrivateS3Storage):
    """Public uploads (covers, lesson images, the logo) under the bucket's ``public/`` prefix.

    The objects are private like every other; their URLs stay the site's own ``/media/…``,
    served by ``products.views.public_media`` (and a creator's pasted lesson-image address keeps
    working after a move to the bucket).
    """

    def url(self, name, parameters=None, expire=None, http_method=None) -> str:
        return settings.MEDIA_URL + filepath_to_uri(name)
