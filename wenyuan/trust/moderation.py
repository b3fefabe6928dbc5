"""Quality signals in the pipeline, and what a flagged upload does.

* ``quality_check`` is a publish check (``library.lifecycle.publish_check_register``): when
  a run finishes, the quality signals (``quality_compute``) are computed from its page
  texts, stored with their evidence and the text's fingerprint, before the publishing
  transaction and outside it.
* ``hold_flagged_uploads`` is a publish policy: a flagged first upload waits for review
  (``review``) or is published at once with its flag (``publish``), per
  ``flagged_uploads_policy``: the document's category (or its parent) when staff set one
  there, else the site's ``WENYUAN_FLAGGED_UPLOADS``.  The uploader sees the status and
  the reason on the document page; staff see the flags and evidence in the queue.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from wenyuan.core.sitesettings import setting_value
from wenyuan.library.lifecycle import PublishDecision
from wenyuan.library.models import Document, Status

POLICIES = ("review", "publish")


def quality_check(*, document: Document, texts: list[str]) -> None:
    from .services import quality_compute

    quality_compute(document=document, texts=texts)


def flagged_uploads_policy(*, document: Document) -> str:
    """``review`` or ``publish`` for a flagged upload of this document: its category's
    choice, else its parent category's, else the site's."""
    category = document.category
    while category is not None:
        if category.flagged_uploads in POLICIES:
            return category.flagged_uploads
        category = category.parent
    return setting_value("WENYUAN_FLAGGED_UPLOADS")


def _signal_labels() -> dict[str, str]:
    return {
        "duplicate": _("a copy of another document"),
        "near_duplicate": _("nearly the same text as another document"),
        "spun": _("text that looks machine-rewritten (synonym spinning)"),
        "title_mismatch": _("a title that does not match the content"),
        "junk": _("pages without real text"),
    }


def hold_flagged_uploads(*, document: Document) -> PublishDecision | None:
    from .models import DocumentQuality

    signals = (
        DocumentQuality.objects.filter(document_id=document.pk, flagged=True)
        .values_list("signals", flat=True)
        .first()
    )
    if not signals or flagged_uploads_policy(document=document) != "review":
        return None
    labels = _signal_labels()
    found = [label for name, label in labels.items() if (signals.get(name) or {}).get("flagged")]
    return PublishDecision(
        Status.REVIEW,
        _("Waiting for review by the site's staff: the automatic checks found %(found)s.")
        % {"found": _("; ").join(found)},
    )
