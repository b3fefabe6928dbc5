"""Thin queue tasks: IDs in, one service call, nothing else."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task(retries=0, context=False)
def process_document_task(document_id: int) -> None:
    from wenyuan.conversion.pipeline import document_process

    document_process(document_id=document_id)


@db_periodic_task(crontab(minute="*"))
def requeue_stalled_task() -> None:
    from wenyuan.conversion.services import documents_requeue_stalled

    documents_requeue_stalled()
