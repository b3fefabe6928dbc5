"""Thin queue tasks: IDs in, one service call, nothing else."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task(retries=0, context=False)
def process_document_task(document_id: int = 0) -> None:
    """A wake-up: work on the fairest waiting job (not necessarily ``document_id``'s; the
    argument is kept for messages queued by older releases)."""
    from wenyuan.conversion.pipeline import document_process_next

    document_process_next()


@db_periodic_task(crontab(minute="*"))
def requeue_stalled_task() -> None:
    from wenyuan.conversion.services import documents_requeue_stalled

    documents_requeue_stalled()
