"""Test settings: the real settings module with a test secret and in-process Celery."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-" + "x" * 50)
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="membership-tests-"))
os.environ.setdefault("SITE_URL", "http://testserver")

from membership_site.settings import *  # noqa: E402, F403

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
