"""Facts about PEM key text, so loading a key never asks for a pass phrase on a terminal."""

from __future__ import annotations

import re
from typing import Final

_ENCRYPTED: Final = re.compile(
    r"-----BEGIN ENCRYPTED PRIVATE KEY-----|^Proc-Type:\s*4,\s*ENCRYPTED", re.MULTILINE
)


def key_is_encrypted(pem: str | None) -> bool:
    """Return whether PEM text holds a pass-phrase protected private key."""
    return bool(pem) and _ENCRYPTED.search(pem or "") is not None


def no_pass_phrase() -> bytes:
    """Answer OpenSSL's pass-phrase request with none (it would otherwise read the TTY)."""
    return b""
