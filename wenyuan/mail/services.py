"""Writes of the mail app: the outbox (store, deliver, retry) and the users' mail settings."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from wenyuan.mail.backend import KIND_HEADER
from wenyuan.mail.models import MailPreference, OutboxMail

log = logging.getLogger("wenyuan.mail")

QUEUED, SENDING, SENT, FAILED = (s.value for s in OutboxMail.Status)
NO_SMTP_HOST = "no SMTP host configured (WENYUAN_SMTP_HOST): kept in the outbox"
# A mail left in `sending` this long (its worker died mid-delivery) is due again.
SENDING_LEASE = timedelta(minutes=10)


def smtp_configured() -> bool:
    return bool(settings.WENYUAN_SMTP_HOST)


def outbox_add(*, message) -> OutboxMail:
    """Store one ``EmailMessage`` in the outbox and queue its delivery after the commit."""
    headers = dict(message.extra_headers or {})
    kind = str(headers.pop(KIND_HEADER, "other"))[:40]
    html = ""
    for content, mimetype in getattr(message, "alternatives", None) or ():
        if mimetype == "text/html":
            html = str(content)
    mail = OutboxMail.objects.create(
        kind=kind,
        from_email=str(message.from_email or settings.DEFAULT_FROM_EMAIL),
        to=[str(a) for a in message.to],
        subject=str(message.subject)[:300],
        body_text=str(message.body),
        body_html=html,
        next_attempt_at=timezone.now(),
    )
    if not smtp_configured():
        log.warning("mail #%s (%s) %s", mail.pk, kind, NO_SMTP_HOST)
        OutboxMail.objects.filter(pk=mail.pk).update(last_error=NO_SMTP_HOST)
        return mail
    transaction.on_commit(lambda: _enqueue(mail.pk))
    return mail


def _enqueue(mail_id: int) -> None:
    from wenyuan.mail.tasks import mail_deliver_task

    mail_deliver_task(mail_id)


def _smtp_connection():
    security = settings.WENYUAN_SMTP_SECURITY
    return get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=settings.WENYUAN_SMTP_HOST,
        port=settings.WENYUAN_SMTP_PORT,
        username=settings.WENYUAN_SMTP_USER or None,
        password=settings.WENYUAN_SMTP_PASSWORD or None,
        use_tls=security == "starttls",
        use_ssl=security == "ssl",
        timeout=settings.WENYUAN_SMTP_TIMEOUT,
        fail_silently=False,
    )


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 1, 2, 4, 8 … minutes, at most a day."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 24 * 60))


def outbox_deliver(*, mail_id: int) -> str:
    """Deliver one due mail over SMTP; returns its status afterwards.

    The mail is claimed by one conditional UPDATE (queued or failed, due, attempts left;
    or stuck in `sending` past its lease), so two workers never send it twice."""
    if not smtp_configured():
        return QUEUED
    now = timezone.now()
    due = OutboxMail.objects.filter(
        pk=mail_id,
        status__in=[QUEUED, FAILED],
        next_attempt_at__lte=now,
        attempts__lt=settings.WENYUAN_MAIL_MAX_ATTEMPTS,
    ) | OutboxMail.objects.filter(pk=mail_id, status=SENDING, next_attempt_at__lte=now)
    claimed = OutboxMail.objects.filter(pk__in=due.values("pk")).update(
        status=SENDING, next_attempt_at=now + SENDING_LEASE
    )
    if not claimed:
        return OutboxMail.objects.filter(pk=mail_id).values_list("status", flat=True).first()
    mail = OutboxMail.objects.get(pk=mail_id)
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.body_text,
        from_email=mail.from_email,
        to=mail.to,
        connection=_smtp_connection(),
    )
    if mail.body_html:
        message.attach_alternative(mail.body_html, "text/html")
    attempts = mail.attempts + 1
    try:
        message.send()
    except Exception as exc:  # SMTP refusals, connection errors, time-outs
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("mail #%s attempt %d failed: %s", mail.pk, attempts, error)
        OutboxMail.objects.filter(pk=mail.pk).update(
            status=FAILED,
            attempts=attempts,
            last_error=error,
            next_attempt_at=(
                timezone.now() + backoff(attempts)
                if attempts < settings.WENYUAN_MAIL_MAX_ATTEMPTS
                else None
            ),
        )
        return FAILED
    OutboxMail.objects.filter(pk=mail.pk).update(
        status=SENT, attempts=attempts, sent_at=timezone.now(), next_attempt_at=None
    )
    return SENT


def outbox_deliver_due(*, limit: int = 100) -> dict[str, int]:
    """Deliver what is due (the periodic sweep, and `wenyuan outbox send`)."""
    counts: dict[str, int] = {}
    if not smtp_configured():
        return counts
    now = timezone.now()
    ids = list(
        (
            OutboxMail.objects.filter(
                status__in=[QUEUED, FAILED],
                next_attempt_at__lte=now,
                attempts__lt=settings.WENYUAN_MAIL_MAX_ATTEMPTS,
            )
            | OutboxMail.objects.filter(status=SENDING, next_attempt_at__lte=now)
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for mail_id in ids:
        status = outbox_deliver(mail_id=mail_id)
        counts[status] = counts.get(status, 0) + 1
    return counts


def outbox_retry(*, ids=None) -> int:
    """Make failed (or given) unsent mails due now with fresh attempts, and queue them."""
    mails = OutboxMail.objects.exclude(status__in=[SENT, SENDING])
    mails = mails.filter(pk__in=list(ids)) if ids is not None else mails.filter(status=FAILED)
    picked = list(mails.values_list("pk", flat=True))
    OutboxMail.objects.filter(pk__in=picked).update(
        status=QUEUED, attempts=0, next_attempt_at=timezone.now()
    )
    if smtp_configured():
        for mail_id in picked:
            transaction.on_commit(lambda mail_id=mail_id: _enqueue(mail_id))
    return len(picked)


# Users' mail settings -----------------------------------------------------------------


def preference_of(*, user) -> MailPreference:
    preference, _created = MailPreference.objects.get_or_create(user=user)
    return preference


def email_verified(*, user) -> bool:
    """Whether mail may go to ``user.email``: it is the address the user verified."""
    if not user.email:
        return False
    preference = MailPreference.objects.filter(user=user).first()
    return bool(
        preference
        and preference.verified_email
        and preference.verified_email.lower() == user.email.lower()
    )


def email_mark_verified(*, user, email: str) -> bool:
    """The user followed the link for ``email``: it counts as verified while it is theirs."""
    if not user.email or user.email.lower() != email.lower():
        return False
    taken = MailPreference.objects.filter(
        verified_email__iexact=email, user__email__iexact=email
    ).exclude(user=user)
    if taken.exists():  # another account verified it since the link was sent
        return False
    preference = preference_of(user=user)
    preference.verified_email, preference.verified_at = user.email, timezone.now()
    preference.save(update_fields=["verified_email", "verified_at"])
    return True


def notification_wanted(*, user, kind: str) -> bool:
    from wenyuan.mail.models import NOTIFICATION_KINDS

    if kind not in NOTIFICATION_KINDS or not user.is_active:
        return False
    if not email_verified(user=user):
        return False
    return bool(getattr(preference_of(user=user), kind))
