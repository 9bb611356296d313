"""The S3 backend of private files, imported only when ``AWS_STORAGE_BUCKET_NAME`` is set."""

from __future__ import annotations

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
