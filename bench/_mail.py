"""An e-mail backend for benchmarks: one small JSON file per message, stamped when it was sent.

``EMAIL_BACKEND=bench._mail.RecordingBackend`` with ``EMAIL_FILE_PATH`` set; the message is
serialised in full (as an SMTP backend would), but only its recipients, subject, whether it
carries a PDF, and the wall-clock time of sending are written. Django's file backend names its
files by the second and may append several messages to one file, which loses the time of each.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class RecordingBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            size = len(message.message().as_bytes())
            record = {
                "to": list(message.to),
                "subject": str(message.subject),
                "pdf": any(
                    getattr(attachment, "mimetype", None) == "application/pdf"
                    or (isinstance(attachment, tuple) and attachment[2] == "application/pdf")
                    for attachment in message.attachments
                ),
                "bytes": size,
                "sent_at": time.time(),
            }
            (folder / f"{uuid.uuid4().hex}.json").write_text(json.dumps(record))
        return len(email_messages)
