"""Thin queue tasks for top-ups."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def topups_sweep_task() -> None:
    from wenyuan.commerce.payments.services import topups_sweep

    topups_sweep()
