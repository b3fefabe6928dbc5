"""The one normalisation of a user name: what log-in, registration and every limiter compare.

``username_identity("ａｄｍｉｎ ")``, ``(" Admin")`` and ``("admin")`` are all ``"admin"``:
Unicode NFKC (full-width letters become ordinary ones, as Django's own user-name field
does), surrounding white space removed (the form strips it too) and case folded. The user
model keeps this value in a unique column, so two accounts can never differ only in case
or width, and ``authenticate`` looks users up by it: whatever string reaches an account
is counted against that account.
"""

from __future__ import annotations

import unicodedata


def username_identity(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw or "").strip()
    return unicodedata.normalize("NFKC", text.casefold())
