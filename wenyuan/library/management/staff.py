"""Shared by the staff commands: the account named by ``--by``."""

from __future__ import annotations

from django.core.management.base import CommandError


def staff_user(name: str | None):
    """The staff account named by ``--by`` (recorded as the actor), or None."""
    if not name:
        return None
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=name, is_staff=True).first()
    if user is None:
        raise CommandError(f"there is no staff account {name!r}", returncode=2)
    return user
