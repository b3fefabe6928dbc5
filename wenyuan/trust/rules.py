"""What trust plugs into the lower layers, from ``TrustConfig.ready()``.

- entitlements: the keep rule ``kept_after_takedown`` (buyers of a document taken down
  after a copyright notice or a complaint under the ``keep`` policy still see it; their purchase, through
  commerce's ``purchased`` entitlement rule, lets them read and download it), and the
  download gate ``sanction_download``;
- accounts: the login gate (a ``login`` sanction);
- library uploads: ``refuse_sanctioned_uploader`` (an ``upload`` sanction, before any
  bytes are stored) and the publish policy ``reject_taken_down_text`` (after the text is
  extracted: the same or nearly the same text as a taken-down document is rejected,
  whoever uploads it; the same *bytes* are refused at upload by the library already).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from wenyuan.core.sitesettings import setting_value
from wenyuan.library.errors import UploadError
from wenyuan.library.lifecycle import PublishDecision
from wenyuan.library.models import Document, Status

from .sanctions import sanction_refusal


def kept_after_takedown(*, user, ids):
    """Buyers keep a document taken down (by a notice or a complaint) under the keep policy."""
    from .takedowns import documents_kept_by_buyers

    return documents_kept_by_buyers(user=user, ids=ids)


def sanction_download(*, user):
    return sanction_refusal(user, "download")


def sanction_login(*, user):
    return sanction_refusal(user, "login")


def refuse_sanctioned_uploader(*, owner, sha256: str) -> None:
    refusal = sanction_refusal(owner, "upload")
    if refusal:
        raise UploadError("upload_refused", refusal, status=403)


def reject_taken_down_text(*, document: Document) -> PublishDecision | None:
    """A new document repeating a taken-down document's text is rejected, with the reason."""
    from . import selectors

    pages = selectors.document_pages(document_id=document.pk)
    match = selectors.taken_down_match(
        pages=pages,
        exclude_id=document.pk,
        block_at=setting_value("WENYUAN_TAKEDOWN_BLOCK_AT") / 100,
    )
    if match is None:
        return None
    _document_id, how, similarity = match
    if how == "text":
        reason = _(
            "Rejected: its text is the same as a document taken down by the site's staff "
            "(for example after a copyright notice); it cannot be published again."
        )
    else:
        reason = _(
            "Rejected: its text is nearly the same (%(share)s%% overlap) as a document taken "
            "down by the site's staff (for example after a copyright notice); it cannot be "
            "published."
        ) % {"share": round(similarity * 100)}
    return PublishDecision(Status.REJECTED, reason)


def takedown_fingerprint_ensure(*, document: Document) -> None:
    """A taken-down document is in the fingerprint index, so its text blocks copies."""
    from .models import TextFingerprint
    from .services import fingerprint_add

    if not TextFingerprint.objects.filter(document_id=document.pk).exists():
        fingerprint_add(document=document)


def register() -> None:
    from wenyuan.accounts.gates import login_gate_register
    from wenyuan.library import entitlements
    from wenyuan.library.lifecycle import publish_policy_register
    from wenyuan.library.services import upload_rule_register

    entitlements.keep_register("kept_after_takedown", kept_after_takedown)
    entitlements.download_gate_register("sanction_download", sanction_download)
    login_gate_register(sanction_login)
    from wenyuan.library.services import UPLOAD_RULES

    if refuse_sanctioned_uploader not in UPLOAD_RULES:  # asked first: the reason that counts
        UPLOAD_RULES.insert(0, refuse_sanctioned_uploader)
    upload_rule_register(refuse_sanctioned_uploader)
    publish_policy_register(reject_taken_down_text)
    from wenyuan.library.lifecycle import publish_check_register

    from .moderation import hold_flagged_uploads, quality_check

    publish_check_register(quality_check)
    publish_policy_register(hold_flagged_uploads)

    from . import backoffice

    backoffice.register()
