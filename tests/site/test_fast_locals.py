"""``membership_site.fast_locals``: asgiref ``Local`` reads without exceptions give the answers
asgiref's own reads give, in threads, async tasks and across ``sync_to_async``/``async_to_sync``.

Each scenario runs with asgiref's reads and with ours, and the observations must be equal (and
are checked against what the documentation of ``Local`` promises, so a scenario that observes
nothing cannot pass)."""

from __future__ import annotations

import asyncio
import threading
from contextlib import contextmanager

import pytest
from asgiref import local as asgiref_local
from asgiref.local import Local
from asgiref.sync import async_to_sync, sync_to_async

from membership_site import fast_locals


@contextmanager
def asgiref_reads():
    fast_locals.uninstall()
    try:
        yield
    finally:
        assert fast_locals.install()


def both(scenario):
    """(asgiref's observations, ours)."""
    with asgiref_reads():
        theirs = scenario()
    return theirs, scenario()


def read(local, name="value"):
    return getattr(local, name, "<missing>")


def in_thread(function):
    found = []
    thread = threading.Thread(target=lambda: found.append(function()))
    thread.start()
    thread.join()
    return found[0]


def test_installed_on_this_asgiref():
    assert asgiref_local._fast_reads_installed is True
    assert "__getattribute__" in asgiref_local._DefaultLocal.__dict__
    assert "__getattribute__" in asgiref_local._ThreadCriticalLocal.__dict__


@pytest.mark.parametrize("critical", [False, True])
def test_sync_reads_writes_deletes_and_threads(critical):
    def scenario():
        local = Local(thread_critical=critical)
        seen = [read(local)]
        local.value = "main"
        seen += [read(local), local.value, hasattr(local, "other")]
        seen.append(in_thread(lambda: read(local)))  # another thread sees none of it
        seen.append(in_thread(lambda: (setattr(local, "value", "thread"), read(local))[1]))
        seen.append(read(local))  # and its write stays there
        del local.value
        seen.append(read(local))
        with pytest.raises(AttributeError):
            del local.value
        with pytest.raises(AttributeError):
            local.value  # noqa: B018
        seen.append(type(local._storage).__name__)  # its own names answer as before
        return seen

    theirs, ours = both(scenario)
    assert ours == theirs
    storage = "_local" if critical else "_CVar"
    assert ours == ["<missing>", "main", "main", False, "<missing>", "thread", "main", "<missing>",
                    storage]  # fmt: skip


def test_async_tasks_and_the_sync_bridges():
    def scenario():
        local, critical = Local(), Local(thread_critical=True)

        def in_sync_code():
            seen = [read(local), read(critical)]
            local.value = "set in sync code"
            return seen

        async def child():
            local.value = "child"
            return read(local)

        async def main():
            local.value, critical.value = "outer", "outer critical"
            seen = [read(local), read(critical)]
            seen.append(await asyncio.create_task(child()))
            seen.append(read(local))  # a task's writes stay in the task
            seen += await sync_to_async(in_sync_code)()
            seen.append(read(local))  # sync_to_async brings the sync code's writes back
            return seen

        def outer_sync():
            local.value = "before the loop"
            seen = async_to_sync(_read_async)(local)
            return [seen, *async_to_sync(main)(), read(local), read(critical)]

        return in_thread(outer_sync)

    theirs, ours = both(scenario)
    assert ours == theirs
    assert ours[:6] == ["before the loop", "outer", "outer critical", "child", "outer", "outer"]
    assert "set in sync code" in ours


async def _read_async(local):
    return read(local)


def test_django_language_and_zone_as_before(settings):
    from django.utils import timezone, translation

    settings.LANGUAGE_CODE, settings.TIME_ZONE = "en", "UTC"
    with translation.override("de"), timezone.override("Europe/Berlin"):
        assert translation.get_language() == "de"
        assert str(timezone.get_current_timezone()) == "Europe/Berlin"
        assert in_thread(translation.get_language) == "en"  # the thread's own: the default
        assert in_thread(lambda: str(timezone.get_current_timezone())) == "UTC"
    with translation.override("nl"):
        assert translation.get_language() == "nl"
    assert translation.get_language() != "nl"
