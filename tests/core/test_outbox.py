"""The outbox: queued once, quiet hours, back-off, opt-out, the crash window, and two sweeps at once."""

import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection, connections
from django.urls import reverse
from django.utils.translation import gettext_noop

from core import outbox
from core.channels import FileSmsBackend, LocmemSmsBackend
from core.models import AuditEvent, DeliveryPreference, Notification, OutboxMessage
from core.notifications import notify

from ..conftest import require
from ..factories import UserFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=SH)
Status = OutboxMessage.Status


class FailingSms:
    def send(self, *, key, phone, text):
        raise ConnectionError("provider down")


class SlowLocmemSms(LocmemSmsBackend):
    def send(self, *, key, phone, text):
        time.sleep(0.005)  # long enough for two sweeps to interleave
        return super().send(key=key, phone=phone, text=text)


@pytest.fixture(autouse=True)
def sms(settings):
    settings.SMS_BACKEND = "core.channels.LocmemSmsBackend"
    settings.SMS_QUIET_HOURS = (22, 8)
    settings.OUTBOX_RETRY_SECONDS = 60
    settings.OUTBOX_MAX_ATTEMPTS = 4
    settings.OUTBOX_LEASE_SECONDS = 300
    settings.OUTBOX_BATCH = 5
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    LocmemSmsBackend.reset()
    yield LocmemSmsBackend
    LocmemSmsBackend.reset()


def sms_message(user, key="survey:1:invite", due=NOON, **fields) -> OutboxMessage:
    fields = {"channel": "sms", "address": user.phone, "body": "请填写回访问卷", "next_attempt_at": due, **fields}
    return OutboxMessage.objects.create(recipient=user, key=key, **fields)


def send_notice(users, *, key="survey:12:invite", channels=("inbox", "sms", "email"), reminder=False):
    notify(users=users, key=key, title=gettext_noop("Case %(number)s was accepted"), params={"number": "X1"},
           channels=channels, reminder=reminder)


def test_notify_queues_each_channel_once_per_key(django_capture_on_commit_callbacks):
    a, b = UserFactory(), UserFactory()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            send_notice([a, b, a])
    rows = OutboxMessage.objects.order_by("recipient_id", "channel")
    assert [(r.recipient_id, r.channel, r.status) for r in rows] == [
        (a.pk, "email", Status.SKIPPED), (a.pk, "sms", Status.PENDING),
        (b.pk, "email", Status.SKIPPED), (b.pk, "sms", Status.PENDING),
    ]
    sms_a = rows.get(recipient=a, channel="sms")
    assert sms_a.address == a.phone and "X1" in sms_a.body
    assert rows.get(recipient=a, channel="email").last_error == "no e-mail address"  # User has no e-mail field
    assert Notification.objects.filter(key="survey:12:invite").count() == 2


def test_default_notify_writes_the_inbox_only(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[user], key="k", title=gettext_noop("Case %(number)s was accepted"), params={"number": "1"})
    assert Notification.objects.filter(user=user).count() == 1
    assert not OutboxMessage.objects.exists()


def test_a_reminder_skips_people_who_opted_out_but_their_inbox_still_gets_it(django_capture_on_commit_callbacks):
    quiet, keen = UserFactory(), UserFactory()
    DeliveryPreference.objects.create(user=quiet, reminders_opt_out=True)
    with django_capture_on_commit_callbacks(execute=True):
        send_notice([quiet, keen], key="survey:3:reminder", reminder=True)
        send_notice([quiet], key="survey:3:invite")  # not a reminder: the opt-out does not apply
    assert set(OutboxMessage.objects.values_list("recipient_id", "key", "channel")) == {
        (keen.pk, "survey:3:reminder", "sms"), (keen.pk, "survey:3:reminder", "email"),
        (quiet.pk, "survey:3:invite", "sms"), (quiet.pk, "survey:3:invite", "email"),
    }
    assert Notification.objects.filter(user=quiet, key="survey:3:reminder").exists()


@pytest.mark.parametrize(("at", "until"), [
    (datetime(2026, 3, 2, 23, 0, tzinfo=SH), datetime(2026, 3, 3, 8, 0, tzinfo=SH)),
    (datetime(2026, 3, 2, 22, 0, tzinfo=SH), datetime(2026, 3, 3, 8, 0, tzinfo=SH)),
    (datetime(2026, 3, 3, 7, 59, tzinfo=SH), datetime(2026, 3, 3, 8, 0, tzinfo=SH)),
    (datetime(2026, 3, 3, 8, 0, tzinfo=SH), None),
    (datetime(2026, 3, 2, 21, 59, tzinfo=SH), None),
    (datetime(2026, 3, 2, 15, 0, tzinfo=ZoneInfo("UTC")), datetime(2026, 3, 3, 8, 0, tzinfo=SH)),  # 23:00 in Shanghai
])
def test_quiet_hours_end_at_the_next_eight_oclock(at, until):
    assert outbox.quiet_until(at) == until


def test_sms_queued_or_due_in_quiet_hours_waits_until_eight_but_email_goes(sms):
    user = UserFactory()
    night = datetime(2026, 3, 2, 23, 30, tzinfo=SH)
    queued = OutboxMessage(recipient=user, channel="sms", key="k1", address=user.phone, body="hi")
    outbox.queue([queued], now=night)
    assert OutboxMessage.objects.get(key="k1").next_attempt_at == datetime(2026, 3, 3, 8, 0, tzinfo=SH)
    due = sms_message(user, key="k2", due=night - timedelta(hours=2))
    OutboxMessage.objects.create(recipient=user, channel="email", key="k3", address="a@example.org", subject="s",
                                 body="b", next_attempt_at=night)

    counts = outbox.deliver_due(now=night)
    assert counts["deferred"] == 1 and counts["delivered"] == 1
    assert sms.calls == []
    assert [m.to for m in mail.outbox] == [["a@example.org"]]
    due.refresh_from_db()
    assert (due.status, due.attempts, due.next_attempt_at) == (Status.PENDING, 0, datetime(2026, 3, 3, 8, 0, tzinfo=SH))

    outbox.deliver_due(now=datetime(2026, 3, 3, 8, 0, tzinfo=SH))
    assert sorted(sms.sent) == sorted(f"outbox-{pk}" for pk in OutboxMessage.objects.filter(channel="sms").values_list("pk", flat=True))
    assert not OutboxMessage.objects.exclude(status=Status.DELIVERED).exists()


def test_a_failing_backend_backs_off_exponentially_then_fails(settings):
    settings.SMS_BACKEND = "tests.core.test_outbox.FailingSms"
    message = sms_message(UserFactory())
    at = NOON
    for attempt, wait in [(1, 1), (2, 2), (3, 4)]:
        assert outbox.deliver_due(now=at)["retry"] == 1
        message.refresh_from_db()
        assert (message.status, message.attempts) == (Status.PENDING, attempt)
        assert message.next_attempt_at == at + timedelta(minutes=wait)
        assert message.last_error == "ConnectionError: provider down"
        assert outbox.deliver_due(now=at + timedelta(minutes=wait, seconds=-1))["retry"] == 0  # not due yet
        at += timedelta(minutes=wait)
    assert outbox.deliver_due(now=at)["failed"] == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 4)
    assert outbox.deliver_due(now=at + timedelta(days=1)) == dict.fromkeys(["delivered", "repeat", "retry", "failed", "deferred"], 0)


def test_a_worker_killed_after_sending_does_not_make_a_second_delivery(sms):
    """Claim and send, then 'die' before the mark: after the lease the next sweep re-sends; the backend folds it."""
    message = sms_message(UserFactory())
    [claimed] = outbox._claim(NOON, 10)
    outbox._send(claimed)  # ... and the worker is killed here
    assert outbox.deliver_due(now=NOON + timedelta(seconds=299)) == dict.fromkeys(
        ["delivered", "repeat", "retry", "failed", "deferred"], 0
    )  # still leased
    assert outbox.deliver_due(now=NOON + timedelta(seconds=300))["repeat"] == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.DELIVERED, 2)
    assert [c[0] for c in sms.calls] == [f"outbox-{message.pk}"] * 2
    assert list(sms.sent) == [f"outbox-{message.pk}"]


def test_a_late_worker_cannot_overwrite_a_newer_claim():
    message = sms_message(UserFactory())
    [old] = outbox._claim(NOON, 10)
    [new] = outbox._claim(NOON + timedelta(minutes=5), 10)
    assert outbox.deliver(old, NOON) == "delivered"  # it sent, but the row is no longer its to mark
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENDING, 2)
    assert outbox.deliver(new, NOON) == "repeat"
    message.refresh_from_db()
    assert message.status == Status.DELIVERED


def test_a_lease_that_ends_after_the_last_attempt_fails_the_message(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    message = sms_message(UserFactory())
    outbox._claim(NOON, 10)
    outbox.deliver_due(now=NOON + timedelta(hours=1))
    message.refresh_from_db()
    assert message.status == Status.FAILED and "stopped" in message.last_error


def test_the_file_backend_records_every_call_and_delivers_each_key_once(settings, tmp_path):
    settings.SMS_FILE_DIR = str(tmp_path)
    backend = FileSmsBackend()
    assert backend.send(key="outbox-1", phone="13900000001", text="一\n二") is True
    assert backend.send(key="outbox-1", phone="13900000001", text="一\n二") is False
    assert backend.send(key="outbox-2", phone="13900000002", text="三") is True
    assert [line[:2] for line in backend.lines()] == [["outbox-1", "sent"], ["outbox-1", "duplicate"], ["outbox-2", "sent"]]


def test_the_sweeper_is_on_the_beat_schedule():
    tasks = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert "core.tasks.deliver_due_messages" in tasks


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_never_send_a_message_twice(settings, sms):
    require(connection.vendor == "postgresql", "the concurrent sweep test needs PostgreSQL (set DATABASE_URL)")
    settings.SMS_BACKEND = "tests.core.test_outbox.SlowLocmemSms"
    users = UserFactory.create_batch(3)
    for i in range(60):
        sms_message(users[i % 3], key=f"survey:{i}:invite")
    barrier = threading.Barrier(2)
    results: list = []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(outbox.deliver_due(now=NOON))
        except Exception as error:  # noqa: BLE001 - reported below
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(r, dict) for r in results), results
    assert all(r["delivered"] > 0 for r in results), results  # both sweeps worked, on different messages
    assert sum(r["delivered"] for r in results) == 60
    keys = [c[0] for c in sms.calls]
    assert len(keys) == len(set(keys)) == 60  # every call to the provider, not only the deduplicated record
    assert OutboxMessage.objects.filter(status=Status.DELIVERED, attempts=1).count() == 60


def test_a_person_turns_reminders_off_and_on(client):
    user = UserFactory()
    client.force_login(user)
    inbox = client.get(reverse("inbox:list"))
    assert reverse("inbox:preferences") in inbox.content.decode()
    page = client.get(reverse("inbox:preferences"))
    assert page.status_code == 200 and 'name="reminders_opt_out"' in page.content.decode()

    response = client.post(reverse("inbox:preferences"), {"reminders_opt_out": "on"})
    assert response.status_code == 302
    assert DeliveryPreference.objects.get(user=user).reminders_opt_out is True
    assert "checked" in client.get(reverse("inbox:preferences")).content.decode()
    client.post(reverse("inbox:preferences"), {})
    assert DeliveryPreference.objects.get(user=user).reminders_opt_out is False
    changes = AuditEvent.objects.filter(action="delivery_preference.changed", actor=user)
    assert list(changes.order_by("id").values_list("data__reminders_opt_out", flat=True)) == [True, False]


def test_preferences_need_a_login(client):
    response = client.get(reverse("inbox:preferences"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_admin_lists_outbox_messages_read_only(admin_client):
    message = sms_message(UserFactory(), status=Status.FAILED, last_error="boom")
    page = admin_client.get(reverse("admin:core_outboxmessage_changelist"), {"status__exact": "failed", "channel__exact": "sms"})
    assert page.status_code == 200 and message.key in page.content.decode()
    assert admin_client.get(reverse("admin:core_outboxmessage_add")).status_code == 403
    detail = admin_client.get(reverse("admin:core_outboxmessage_change", args=[message.pk]))
    assert detail.status_code == 200 and 'name="status"' not in detail.content.decode()


def test_a_person_gives_an_e_mail_address_and_messages_also_go_there(client, mailoutbox, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = UserFactory()
    client.force_login(user)
    bad = client.post(reverse("inbox:preferences"), {"email": "not-an-address"})
    assert bad.status_code == 200 and bad.context["form"].errors["email"]
    assert client.post(reverse("inbox:preferences"), {"email": "wang@example.cn"}).status_code == 302
    user.refresh_from_db()
    assert user.email == "wang@example.cn"
    assert AuditEvent.objects.filter(action="user.email_changed", actor=user).count() == 1

    notify(users=[user], key="case:9:event:1", title=gettext_noop("Case %(number)s was reopened by the resident"),
           params={"number": "TS1"}, channels=("inbox", "email"))
    message = OutboxMessage.objects.get(recipient=user, channel="email")
    assert (message.status, message.address) == ("pending", "wang@example.cn")
    outbox.deliver_due(now=message.next_attempt_at)
    message.refresh_from_db()
    assert message.status == "delivered"
    assert [m.to for m in mailoutbox] == [["wang@example.cn"]]
