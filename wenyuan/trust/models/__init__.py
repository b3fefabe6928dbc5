"""The trust app's records: quality signals and fingerprints, complaints, copyright
notices with their counter-notices, the append-only case log, notifications, sanctions."""

from .cases import (
    AppendOnly,
    Complaint,
    ComplaintReason,
    CopyrightNotice,
    CounterNotice,
    Notification,
    Sanction,
    SanctionKind,
    TrustEvent,
)
from .quality import DocumentQuality, FingerprintBand, TextFingerprint

__all__ = [
    "AppendOnly",
    "Complaint",
    "ComplaintReason",
    "CopyrightNotice",
    "CounterNotice",
    "DocumentQuality",
    "FingerprintBand",
    "Notification",
    "Sanction",
    "SanctionKind",
    "TextFingerprint",
    "TrustEvent",
]
