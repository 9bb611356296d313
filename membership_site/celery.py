"""The Celery app: ``celery -A membership_site worker`` / ``beat``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "membership_site.settings")

app = Celery("membership_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
