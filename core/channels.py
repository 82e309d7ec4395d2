"""Where outgoing messages go: e-mail through Django's mail backend, SMS through `settings.SMS_BACKEND`.

An SMS backend is a class with `send(*, key, phone, text) -> bool`. `key` is the message's idempotency key
("outbox-<id>"); it returns True when it delivered the text now, False when that key was delivered before
(a repeat after a crash, suppressed), and raises when it could not deliver (the sweeper retries later).

- ConsoleSmsBackend (default): writes to the log. It cannot tell repeats, so it is at-least-once.
- LocmemSmsBackend (tests): records in class lists, like Django's mail.outbox; idempotent by key.
- FileSmsBackend: appends one line per call to SMS_FILE_DIR/sms.log under an exclusive file lock, and
  checks the same file for the key first, so several processes deliver each key once. Every call is a line
  ("sent" or "duplicate"), so the file counts what was really sent.
A real provider backend passes `key` as the provider's dedupe id (or keeps its own record as the file one does).
"""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

logger = logging.getLogger("xingwuguan.sms")


class ConsoleSmsBackend:
    def send(self, *, key: str, phone: str, text: str) -> bool:
        logger.info("SMS %s to %s: %s", key, phone, text)
        print(f"SMS {key} to {phone}: {text}", flush=True)
        return True


class LocmemSmsBackend:
    calls: list[tuple[str, str, str]] = []  # every call, repeats included
    sent: dict[str, tuple[str, str]] = {}  # key -> (phone, text), delivered once

    def send(self, *, key: str, phone: str, text: str) -> bool:
        type(self).calls.append((key, phone, text))
        if key in self.sent:
            return False
        type(self).sent[key] = (phone, text)
        return True

    @classmethod
    def reset(cls) -> None:
        cls.calls.clear()
        cls.sent.clear()


class FileSmsBackend:
    def __init__(self) -> None:
        self.path = Path(settings.SMS_FILE_DIR) / "sms.log"
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def send(self, *, key: str, phone: str, text: str) -> bool:
        with self.path.open("a+", encoding="utf-8") as log:
            fcntl.flock(log, fcntl.LOCK_EX)  # released by the kernel even if the process is killed
            log.seek(0)
            repeat = any(line.split("\t", 2)[:2] == [key, "sent"] for line in log)
            log.write(f"{key}\t{'duplicate' if repeat else 'sent'}\t{phone}\t{text.replace(chr(10), ' ')}\n")
            log.flush()
            return not repeat

    def lines(self) -> list[list[str]]:
        """Every call so far, as [key, "sent" | "duplicate", phone, text]."""
        if not self.path.exists():
            return []
        return [line.rstrip("\n").split("\t", 3) for line in self.path.read_text(encoding="utf-8").splitlines()]


def sms_backend():
    return import_string(settings.SMS_BACKEND)()


def send_email(*, key: str, address: str, subject: str, body: str) -> bool:
    """Send through Django's e-mail backend with a Message-ID made from the key, so a repeat is recognisable."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    EmailMessage(subject, body, to=[address], headers={"Message-ID": f"<{key}@{domain}>"}).send()
    return True
