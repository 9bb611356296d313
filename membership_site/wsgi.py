import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "membership_site.settings")

application = get_wsgi_application()

from membership_site.static_check import log_static_files_problem  # noqa: E402

log_static_files_problem()  # gunicorn runs no system checks: name a missing collectstatic here

# What start-up loaded (Django, the apps, the URL configuration, ~150,000 objects) lives as long
# as the process: moved out of the collector's view, a full collection no longer walks it. It
# took ~80 ms every couple of thousand requests per worker, a stall the requests queued at that
# worker waited out (issue 20: p99). Objects made later are collected as before.
gc.freeze()
