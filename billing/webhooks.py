"""Webhook intake, the same for every provider: verify, store once, answer 2xx, queue on commit.

``provider_webhook("stripe")`` is the view for one provider. A refused delivery (bad signature,
malformed body, a body the database cannot keep: ``billing.storable``) writes nothing; it is
answered 4xx, never 5xx, when a retry could not change the answer. A valid one is stored once
(unique on provider and event id); a repeat is answered 2xx and queued nowhere. The processing
task is queued after commit; if queuing fails, the event stays ``received`` and the periodic job
queues it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.models import ProviderEvent
from billing.providers import get_provider
from billing.providers.base import InvalidDelivery, VerifiedDelivery
from billing.storable import storable

logger = logging.getLogger("billing.webhooks")

MAX_BODY_BYTES = 1024 * 1024


def queue_event(event_pk: int) -> None:
    """Queue processing; a broker failure is logged and left to the periodic re-queue."""
    from billing import tasks

    try:
        tasks.process_provider_event.delay(event_pk)
    except Exception:
        logger.exception("could not queue provider event %s; the periodic job will retry", event_pk)


def _too_large(request: HttpRequest) -> bool:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return True
    try:
        return len(request.body) > MAX_BODY_BYTES
    except RequestDataTooBig:
        return True


def store_delivery(*, provider: str, delivery: VerifiedDelivery) -> ProviderEvent | None:
    """Store the delivery once and queue it on commit; None when it was stored before."""
    try:
        with transaction.atomic():
            event = ProviderEvent.objects.create(
                provider=provider,
                event_id=delivery.event_id,
                event_type=delivery.event_type,
                payload=delivery.payload,
                is_test=delivery.is_test,
                received_at=timezone.now(),
            )
            transaction.on_commit(partial(queue_event, event.pk))
    except IntegrityError:
        return None
    return event


def provider_webhook(provider_name: str) -> Callable[[HttpRequest], HttpResponse]:
    """The intake view of one registered provider (one URL line per provider)."""

    @csrf_exempt
    @require_POST
    def intake(request: HttpRequest) -> HttpResponse:
        provider = get_provider(provider_name)
        if _too_large(request):
            logger.warning("%s webhook refused: body over %d bytes", provider_name, MAX_BODY_BYTES)
            return HttpResponse("payload too large", status=413, content_type="text/plain")
        try:
            delivery = storable(provider.verify(request))
        except InvalidDelivery as refusal:
            log = logger.error if refusal.status >= 500 or refusal.misconfigured else logger.warning
            log("%s webhook refused (%s): %s", provider_name, refusal.status, refusal)
            return HttpResponse(str(refusal), status=refusal.status, content_type="text/plain")
        try:
            stored = store_delivery(provider=provider_name, delivery=delivery)
        except DataError:
            # The database refuses the content itself: a retry cannot fix it, so no 5xx.
            logger.exception(
                "%s webhook %s refused by the database", provider_name, delivery.event_id
            )
            return HttpResponse("unstorable event", status=400, content_type="text/plain")
        except DatabaseError:
            logger.exception("%s webhook %s not stored", provider_name, delivery.event_id)
            return HttpResponse("temporarily unavailable", status=503, content_type="text/plain")
        if stored is None:
            logger.info("%s event %s repeated: already stored", provider_name, delivery.event_id)
        return provider.acknowledge(delivery)

    intake.__name__ = f"{provider_name}_webhook"
    return intake
