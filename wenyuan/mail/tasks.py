"""Thin queue tasks for mail: deliver one mail, and sweep what is due (retries)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()
def mail_deliver_task(mail_id: int) -> None:
    from wenyuan.mail.services import outbox_deliver

    outbox_deliver(mail_id=mail_id)


@db_periodic_task(crontab(minute="*"))
def outbox_sweep_task() -> None:
    """Every minute: mails whose retry is due, and those a dead worker left `sending`."""
    from wenyuan.mail.services import outbox_deliver_due

    outbox_deliver_due()
