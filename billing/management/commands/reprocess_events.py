"""``manage.py reprocess_events [--failed] [--id ID]``: run stored provider events again now."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.models import ProviderEvent
from billing.services import reprocess_events


class Command(BaseCommand):
    help = (
        "Process stored provider events that are not done yet (received or failed), e.g. after "
        "fixing the catalog. Processed events are never applied twice."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--failed", action="store_true", help="only failed events")
        parser.add_argument(
            "--id", type=int, action="append", dest="ids", help="only this event (repeatable)"
        )

    def handle(self, *args, failed: bool, ids: list[int] | None, **options) -> None:
        if ids and not ProviderEvent.objects.filter(pk__in=ids).exists():
            raise CommandError(f"no provider event with id {', '.join(map(str, ids))}")
        results = reprocess_events(now=timezone.now(), pks=ids, failed_only=failed)
        for event, status in results:
            line = f"{event.pk} {event.provider} {event.event_type} {event.event_id}: {status}"
            if status == ProviderEvent.Status.FAILED:
                event.refresh_from_db()
                last = [text for text in event.error.strip().splitlines() if text.strip()]
                self.stdout.write(self.style.ERROR(f"{line}: {last[-1] if last else ''}"))
            else:
                self.stdout.write(self.style.SUCCESS(line))
        if not results:
            self.stdout.write("Nothing to reprocess.")
        if any(status == ProviderEvent.Status.FAILED for _event, status in results):
            raise CommandError("some events failed again (see above)")
