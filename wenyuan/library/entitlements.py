"""Who may read what: entitlement rules that answer for many documents at once.

Every document page, page image, page text, download, cover and search snippet is served
only after a function of this module said yes; nothing else in Wenyuan decides it.

Three questions, in this order:

1. **May this user see the document at all?**  Published, or their own, or staff
   (``selectors.document_get_for_user``; anything else is a 404).
2. **Is the document's content withheld?**  *Block rules* name documents whose content
   nobody but staff may read (a legal hold, from trust): no page, not even a free one,
   and no download, for the owner and buyers alike.
3. **Is the user entitled?**  *Entitlement rules* grant; an entitled user reads every
   page and may download the original.  Everybody else reads the first ``free_pages``.

The rule contract
-----------------

An entitlement rule is a callable::

    def purchased(*, user, ids: frozenset[int]) -> Iterable[int]:
        if not user.is_authenticated:
            return ()
        return Purchase.objects.filter(user=user, document_id__in=ids).values_list(
            "document_id", flat=True
        )

* It gets the user (possibly anonymous: ``user.is_authenticated`` is false) and the
  candidate document ids, and returns the ids it entitles this user to.
* It answers for the whole set with one query (or none), never one per document: a
  result page of search asks once for its twenty documents.
* Rules only grant.  The answer is the union of every rule's; a rule cannot take away
  what another one granted, and ids it was not asked about are ignored.  Each rule is
  asked only about the ids no earlier rule granted.
* Rules look at entitlement only: visibility (status) is decided before any rule runs,
  and the free pages are not a rule's business.  No caching across requests: a refund or
  an expired subscription counts at once.

A block rule is ``def rule(*, ids: frozenset[int]) -> Iterable[int]``: the documents whose
content is withheld, whoever asks.  It does not get the user: staff are exempt by this
module, everyone else is blocked alike.

Registering is one line, from the app's ``AppConfig.ready()``::

    entitlements.rule_register("purchased", purchased)
    entitlements.rule_register("vip", vip, on_download=vip_download_claim)
    entitlements.block_register("legal_hold", legal_holds)

A rule may name an ``on_download(*, user, document)`` hook: when a download is served
because of that rule (and of no earlier one), the hook runs first, inside
``document_get_downloadable``; it may record the download (a VIP member's monthly
quota) or refuse it by raising ``AccessDenied``.  Page reads never call it.

The built-in rules ``staff``, ``owner`` and ``free`` are registered the same way, by the
library app.  ``docs/entitlements.md`` says the same for people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from wenyuan.library.models import Document, Status

GrantRule = Callable[..., Iterable[int]]
BlockRule = Callable[..., Iterable[int]]

_rules: dict[str, GrantRule] = {}
_blocks: dict[str, BlockRule] = {}
_download_hooks: dict[str, Callable[..., None]] = {}
_keeps: dict[str, GrantRule] = {}
_download_gates: dict[str, Callable[..., str | None]] = {}


# --- the registry ----------------------------------------------------------------------


def rule_register(name: str, rule: GrantRule, *, on_download: Callable | None = None) -> None:
    """Add an entitlement rule (see the module docstring for its contract)."""
    _register(_rules, name, rule)
    if on_download is not None:
        _download_hooks[name] = on_download


def block_register(name: str, rule: BlockRule) -> None:
    """Add a block rule: documents whose content nobody but staff may read."""
    _register(_blocks, name, rule)


def keep_register(name: str, rule: GrantRule) -> None:
    """Add a keep rule: ``rule(*, user, ids) -> ids`` of *taken-down* documents this user
    still sees (a buyer after a copyright takedown, when the policy keeps their access).
    What they may read of it is then the entitlement rules' answer, as for any document."""
    _register(_keeps, name, rule)


def keep_unregister(name: str) -> None:
    _keeps.pop(name, None)


def download_gate_register(name: str, gate: Callable[..., str | None]) -> None:
    """Add a download gate: ``gate(*, user) -> str | None``, a reason to refuse this user
    every download (a sanction), or None."""
    _register(_download_gates, name, gate)


def download_gate_unregister(name: str) -> None:
    _download_gates.pop(name, None)


def _register(registry: dict, name: str, rule: Callable) -> None:
    if not callable(rule):
        raise ImproperlyConfigured(f"entitlement rule {name!r} is not callable")
    if registry.get(name, rule) is not rule:
        raise ImproperlyConfigured(f"an entitlement rule named {name!r} is already registered")
    registry[name] = rule


def rule_unregister(name: str) -> None:
    _rules.pop(name, None)
    _download_hooks.pop(name, None)


def block_unregister(name: str) -> None:
    _blocks.pop(name, None)


def rule_names() -> list[str]:
    return list(_rules)


def block_names() -> list[str]:
    return list(_blocks)


# --- the built-in rules ------------------------------------------------------------------


def _is_staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_staff)


def staff_rule(*, user, ids: frozenset[int]) -> Iterable[int]:
    """Staff read everything (no query)."""
    return ids if _is_staff(user) else ()


def owner_rule(*, user, ids: frozenset[int]) -> Iterable[int]:
    """Uploaders read their own documents."""
    if user is None or not user.is_authenticated:
        return ()
    return Document.objects.filter(pk__in=ids, owner_id=user.pk).values_list("pk", flat=True)


def free_rule(*, user, ids: frozenset[int]) -> Iterable[int]:
    """A document priced 0 is open to everyone, signed in or not."""
    return Document.objects.filter(pk__in=ids, price=0).values_list("pk", flat=True)


BUILTIN_RULES: list[tuple[str, GrantRule]] = [
    ("staff", staff_rule),
    ("owner", owner_rule),
    ("free", free_rule),
]


# --- asking the rules ------------------------------------------------------------------


def _ids(ids: Iterable[int]) -> frozenset[int]:
    return frozenset(int(i) for i in ids)


def documents_blocked(*, user, ids: Iterable[int]) -> set[int]:
    """The documents among ``ids`` whose content is withheld from this user.

    Never any for staff.  ``user=None`` asks for everybody but staff.
    """
    candidates = _ids(ids)
    if not candidates or not _blocks or _is_staff(user):
        return set()
    blocked: set[int] = set()
    for rule in list(_blocks.values()):
        blocked |= set(rule(ids=candidates)) & candidates
    return blocked


def _granted_by(user, candidates: frozenset[int]) -> dict[int, str]:
    """Each granted document with the name of the first rule that granted it."""
    granted: dict[int, str] = {}
    remaining = candidates
    for name, rule in list(_rules.items()):
        if not remaining:
            break
        found = set(rule(user=user or AnonymousUser(), ids=remaining)) & remaining
        granted.update(dict.fromkeys(found, name))
        remaining = remaining - found
    return granted


def _granted(user, candidates: frozenset[int]) -> set[int]:
    return set(_granted_by(user, candidates))


def documents_entitled(*, user, ids: Iterable[int]) -> set[int]:
    """The documents among ``ids`` whose every page and original this user may read.

    One call answers for a whole list (each rule asks at most once); withheld documents
    are never in it, except for staff.  Visibility is not checked here: callers have the
    documents from ``document_get_for_user`` or from a list of published ones.
    """
    candidates = _ids(ids)
    return _granted(user, candidates - documents_blocked(user=user, ids=candidates))


def documents_kept(*, user, ids: Iterable[int]) -> set[int]:
    """The taken-down documents among ``ids`` this user still sees (keep rules)."""
    candidates = _ids(ids)
    if not candidates or not _keeps or user is None or not user.is_authenticated:
        return set()
    kept: set[int] = set()
    for rule in list(_keeps.values()):
        kept |= set(rule(user=user, ids=candidates)) & candidates
    return kept


def download_refusal(*, user) -> str | None:
    """Why this user may download nothing at all now (a download gate), or None."""
    for gate in list(_download_gates.values()):
        reason = gate(user=user)
        if reason:
            return str(reason)
    return None


# --- what a user may read of a document ----------------------------------------------------


def pages_readable(*, document: Document, entitled: bool, blocked: bool) -> int:
    """How many leading pages may be read: the one rule about pages."""
    if blocked:
        return 0
    pages = document.pages or 0
    return pages if entitled else min(pages, document.free_pages)


@dataclass(frozen=True)
class Access:
    """What one user may do with one document they can see."""

    document: Document
    entitled: bool
    blocked: bool
    via: str | None = None  # the rule that granted it ("owner", "purchased", "vip", ...)

    @property
    def readable_pages(self) -> int:
        return pages_readable(document=self.document, entitled=self.entitled, blocked=self.blocked)

    @property
    def locked_pages(self) -> int:
        return (self.document.pages or 0) - self.readable_pages

    def may_read(self, number: int) -> bool:
        return 1 <= number <= self.readable_pages

    @property
    def may_download(self) -> bool:
        return self.entitled and not self.blocked


def documents_access(*, user, documents: Iterable[Document]) -> dict[int, Access]:
    """Access to each of these documents, with one question to the rules for all of them."""
    documents = list(documents)
    ids = _ids(d.pk for d in documents)
    blocked = documents_blocked(user=user, ids=ids)
    entitled = _granted_by(user, ids - blocked)
    return {
        d.pk: Access(d, d.pk in entitled, d.pk in blocked, entitled.get(d.pk)) for d in documents
    }


def documents_readable_pages(*, user, documents: Iterable[Document]) -> dict[int, int]:
    """How many leading pages of each document this user may read (search snippets)."""
    return {
        pk: a.readable_pages for pk, a in documents_access(user=user, documents=documents).items()
    }


def document_access(*, user, document: Document) -> Access:
    return documents_access(user=user, documents=[document])[document.pk]


def page_is_public(*, document: Document, number: int) -> bool:
    """May anybody at all, signed in or not, read this page?  Only then may a shared
    cache keep it."""
    if document.status != Status.PUBLISHED:
        return False
    return document_access(user=AnonymousUser(), document=document).may_read(number)


def documents_cover_readable(*, user, documents: Iterable[Document]) -> set[int]:
    """The documents whose first page this user may read, hence see as a cover.

    The rules are asked only about documents without a free first page.
    """
    documents = [d for d in documents if d.pages]
    blocked = documents_blocked(user=user, ids=(d.pk for d in documents))
    free = {
        d.pk
        for d in documents
        if d.pk not in blocked and pages_readable(document=d, entitled=False, blocked=False) >= 1
    }
    rest = _ids(d.pk for d in documents) - blocked - free
    return free | _granted(user, rest)


# --- the one way in: getters that raise -------------------------------------------------


class AccessDenied(Exception):
    """Raised by the getters below; ``status``, ``code`` and ``message`` say why."""

    status = 403
    code = "forbidden"
    message = _("You may not read this.")

    def __str__(self) -> str:
        return str(self.message)


class PageLocked(AccessDenied):
    status = 403
    code = "locked"
    message = _("This page is locked. Purchase the document to read it.")


class PurchaseRequired(AccessDenied):
    status = 402
    code = "payment_required"
    message = _("This document must be purchased before it can be downloaded.")


class LoginRequired(AccessDenied):
    status = 401
    code = "unauthorized"
    message = _("Log in first: send Authorization: Bearer <token>.")


class DownloadRefused(AccessDenied):
    status = 403
    code = "download_refused"

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class Withheld(AccessDenied):
    status = 451
    code = "withheld"
    message = _("The content of this document is withheld while the site's staff review it.")


def document_access_get(*, user, pk: int) -> Access:
    """The document if this user may see it (else 404), with what they may do with it."""
    from wenyuan.library.selectors import document_get_for_user

    return document_access(user=user, document=document_get_for_user(user=user, pk=pk))


def _page_check(access: Access, page: int) -> Access:
    if page < 1 or page > (access.document.pages or 0):
        raise Http404
    if access.blocked:
        raise Withheld
    if not access.may_read(page):
        raise PageLocked
    return access


def document_get_readable(*, user, pk: int, page: int) -> Access:
    """Access to a document whose page ``page`` this user may read.

    404 for a document they cannot see or a page it does not have; ``Withheld`` or
    ``PageLocked`` for a page they may not read.  The 展开 partial, the API's page image
    and page text come through here, the signed page images through the next function.
    """
    return _page_check(document_access_get(user=user, pk=pk), page)


def document_get_page_image(*, user, pk: int, page: int, size: str, token: str) -> Access:
    """A page image at its signed URL: a token made for this rendering, page, size and
    free-page count (else 404), then the same check as ``document_get_readable``."""
    from wenyuan.library import selectors

    access = document_access_get(user=user, pk=pk)
    document = access.document
    if size not in selectors.PAGE_SIZES or not document.asset_key:
        raise Http404
    if not selectors.page_token_valid(document=document, number=page, size=size, token=token):
        raise Http404
    return _page_check(access, page)


def document_get_downloadable(*, user, pk: int, claim: bool = True) -> Document:
    """The document whose original this user may download: signed in and entitled.

    With ``claim`` (a download is about to be served) the granting rule's
    ``on_download`` hook runs and may refuse; ``claim=False`` only asks (a download link
    is being made, the file is not sent yet).
    """
    access = document_access_get(user=user, pk=pk)
    if user is None or not user.is_authenticated:
        raise LoginRequired
    refusal = download_refusal(user=user)
    if refusal:
        raise DownloadRefused(refusal)
    if access.blocked:
        raise Withheld
    if not access.may_download:
        raise PurchaseRequired
    hook = _download_hooks.get(access.via or "")
    if claim and hook is not None:
        hook(user=user, document=access.document)
    return access.document


def document_get_cover(*, user, pk: int) -> tuple[Document, bool]:
    """The document and whether its cover may show its first page to this user; when
    not, only a generated cover (title and format) may be shown."""
    from wenyuan.library.selectors import document_get_for_user

    document = document_get_for_user(user=user, pk=pk)
    return document, document.pk in documents_cover_readable(user=user, documents=[document])
