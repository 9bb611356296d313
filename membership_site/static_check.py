"""With debug off, static files are served (by whitenoise) from the manifest that
``collectstatic`` writes; without it every page that links a stylesheet answers 500. Say so at
start-up, naming the command, instead of leaving a "Missing staticfiles manifest entry" per page.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.checks import Error, register
from django.core.files.storage import storages

logger = logging.getLogger(__name__)

COMMAND = "python manage.py collectstatic --noinput"


def static_files_problem() -> str | None:
    """A sentence naming the fix when the manifest storage has no manifest, else None."""
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin):
        return None  # debug on: files are served from the app folders as they are
    if storage.manifest_storage.exists(storage.manifest_name):
        return None
    return (
        f"Static files are not collected: {settings.STATIC_ROOT}/{storage.manifest_name} is "
        f"missing, so every page answers 500 while DJANGO_DEBUG is off. Run `{COMMAND}` "
        "(after every install or upgrade; the Docker image does it when it is built)."
    )


# Not tagged "staticfiles": collectstatic runs those checks, and it must run to fix this one.
@register()
def check_static_files_collected(app_configs=None, **kwargs) -> list[Error]:
    problem = static_files_problem()
    if problem is None:
        return []
    return [Error(problem, hint=f"Run `{COMMAND}`.", id="membership_site.E001")]


def log_static_files_problem() -> None:
    """For WSGI servers, which run no system checks: one ERROR line at start-up."""
    problem = static_files_problem()
    if problem is not None:
        logger.error(problem)
