"""The CAPTCHA's challenge: django-simple-captcha draws it; this picks its characters.

The package's own generator uses the ``random`` module, which its image view re-seeds
with the (public) captcha key on every image request, so a challenge drawn right after
could be predicted; ``secrets`` cannot be seeded. Letters and digits that look alike
(0/O, 1/I/L) are left out.
"""

from __future__ import annotations

import secrets

from django.conf import settings

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def challenge() -> tuple[str, str]:
    text = "".join(secrets.choice(ALPHABET) for _ in range(settings.CAPTCHA_LENGTH))
    return text, text.lower()
