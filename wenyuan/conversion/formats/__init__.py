"""The registry of format families: what Wenyuan accepts and how each becomes a PDF.

Each family is a module of this package (``office``, ``text``, ``pdf``, ``ebook``,
``calibre``, ``umd``, ``fixed``, ``images``, ``cnki``) that builds a ``Family`` and registers it with ``family_register``,
as a plugin would:

* ``formats``: the sniffed types it takes (the key stored in ``Document.format``, a label,
  a MIME type, the extensions a person may give it, the group the upload page lists it in);
* ``sniff``: optionally, a function of the first bytes that settles a type (a magic number);
* ``to_pdf(source, work_dir)``: the conversion (``source`` is named ``original.<format>``);
* ``tools``: the Debian or PyPI parts it needs.  A tool that is missing turns the family's
  formats off: uploads of them are refused with a message naming the tool, the upload page
  no longer lists them, and the system check (``wenyuan.W020``) says so at start.

This module imports no Django: the sniffer, which runs in a contained child, reads its
tables from here.  ``stage_to_pdf`` is one lookup: ``family_for(format).to_pdf(...)``.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# The groups of the upload page, in the order a person thinks of them.
GROUPS = ("office", "fixed", "ebook", "image", "cnki", "text")


@dataclass(frozen=True)
class Format:
    key: str  # stored in Document.format (at most 10 characters)
    label: str
    mime: str
    extensions: tuple[str, ...]  # the first is the canonical one
    group: str


@dataclass(frozen=True)
class Tool:
    """A program or Python module a family needs, and where it comes from."""

    name: str
    locate: Callable[[], str | None]  # its path (or module name), None when missing
    debian: str = ""
    pypi: str = ""

    def missing(self) -> bool:
        return not self.locate()

    def advice(self) -> str:
        where = []
        if self.debian:
            where.append(f"Debian package {self.debian}")
        if self.pypi:
            where.append(f"PyPI package {self.pypi}")
        return f"{self.name} not found" + (f" (install {' or '.join(where)})" if where else "")


def program(name: str) -> Callable[[], str | None]:
    return lambda: shutil.which(name)


def module(name: str) -> Callable[[], str | None]:
    return lambda: name if importlib.util.find_spec(name) is not None else None


@dataclass
class Family:
    name: str
    label: str
    formats: tuple[Format, ...]
    to_pdf: Callable[[Path, Path], Path]
    tools: tuple[Tool, ...] = ()
    sniff: Callable[[bytes], str | None] | None = None
    formats_by_key: dict[str, Format] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.formats_by_key = {fmt.key: fmt for fmt in self.formats}

    def problem(self) -> str:
        """Why this family cannot convert here ("" when it can)."""
        return "; ".join(tool.advice() for tool in self.tools if tool.missing())


_families: dict[str, Family] = {}
_by_format: dict[str, Family] = {}


def family_register(family: Family) -> Family:
    for fmt in family.formats:
        owner = _by_format.get(fmt.key)
        if owner is not None and owner.name != family.name:
            raise ValueError(f"format {fmt.key!r} is already registered by {owner.name!r}")
        if len(fmt.key) > 10 or fmt.group not in GROUPS:
            raise ValueError(f"bad format declaration {fmt!r}")
        _by_format[fmt.key] = family
    _families[family.name] = family
    return family


def _builtins() -> None:
    if not _families:
        from wenyuan.conversion.formats import (  # noqa: F401  (they register themselves)
            calibre,
            cnki,
            ebook,
            fixed,
            images,
            office,
            pdf,
            text,
            umd,
        )


def families() -> list[Family]:
    _builtins()
    return list(_families.values())


def family_for(key: str) -> Family:
    """The family that converts ``key``; KeyError for a type nobody registered."""
    _builtins()
    return _by_format[key]


def format_get(key: str) -> Format | None:
    _builtins()
    family = _by_format.get(key)
    return family.formats_by_key[key] if family else None


def formats_all() -> list[Format]:
    return [fmt for family in families() for fmt in family.formats]


def format_choices() -> list[tuple[str, str]]:
    """``Document.format``'s choices (a callable: a new format needs no migration)."""
    return [(fmt.key, fmt.label) for fmt in formats_all()]


def mime_map() -> dict[str, str]:
    return {fmt.key: fmt.mime for fmt in formats_all()}


def extension_map() -> dict[str, set[str]]:
    return {fmt.key: set(fmt.extensions) for fmt in formats_all()}


def head_sniffers() -> list[Callable[[bytes], str | None]]:
    return [family.sniff for family in families() if family.sniff is not None]


def format_problem(key: str) -> str:
    """Why uploads of ``key`` are turned off here ("" when they are accepted)."""
    try:
        return family_for(key).problem()
    except KeyError:
        return "unknown format"


def accepted_groups() -> list[tuple[str, list[Format]]]:
    """What the upload page lists: the formats that convert here, by group."""
    usable = [family for family in families() if not family.problem()]
    return [
        (group, [fmt for family in usable for fmt in family.formats if fmt.group == group])
        for group in GROUPS
        if any(fmt.group == group for family in usable for fmt in family.formats)
    ]
