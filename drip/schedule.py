"""Celery beat entries of the drip app (merged into CELERY_BEAT_SCHEDULE in settings).

Access is computed from data, so these jobs only send e-mails and make stored states match:
a late or stopped beat never locks out a paying member or keeps a lapsed one in.
"""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "drip-new-lesson-notices": {
        "task": "drip.tasks.send_new_lesson_notices",
        "schedule": crontab(minute="*/15"),
    },
    "drip-expire-lapsed-grants": {
        "task": "drip.tasks.expire_lapsed_grants",
        "schedule": crontab(minute="5,35"),
    },
    "drip-activation-windows": {
        "task": "drip.tasks.apply_activation_windows",
        "schedule": crontab(minute=20),
    },
}
