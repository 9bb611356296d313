from django.conf import settings

from membership_site.celery import app


def test_every_drip_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    drip_entries = {
        name: entry
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if name.startswith("drip-")
    }

    assert sorted(entry["task"] for entry in drip_entries.values()) == [
        "drip.tasks.apply_activation_windows",
        "drip.tasks.expire_lapsed_grants",
        "drip.tasks.send_new_lesson_notices",
    ]
    assert all(entry["task"] in app.tasks for entry in drip_entries.values())
