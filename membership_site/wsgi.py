import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "membership_site.settings")

application = get_wsgi_application()

from membership_site.static_check import log_static_files_problem  # noqa: E402

log_static_files_problem()  # gunicorn runs no system checks: name a missing collectstatic here
