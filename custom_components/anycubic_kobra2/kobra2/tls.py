"""TLS for the broker link: a private SSL context per client, built off the event loop."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
import ssl
import tempfile
from typing import TYPE_CHECKING

from .exceptions import KobraConnectionError
from .pem import no_pass_phrase

if TYPE_CHECKING:
    from .client import BrokerConfig


def _make_ssl_context(cfg: BrokerConfig) -> ssl.SSLContext:
    """Build a private SSL context; does file I/O, so it must run in an executor."""
    if cfg.verify:
        # With a CA given only that CA is trusted; without, the system store.
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=cfg.ca_data or None)
        if cfg.ca_data:
            # Home-made CAs often lack extensions that Python 3.13's strict mode demands
            # (e.g. Authority Key Identifier); the chain and hostname are still verified.
            ctx.verify_flags &= ~ssl.VERIFY_X509_STRICT
    else:
        # Insecure mode gets a context of its own, so no shared context is ever weakened.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cfg.client_cert:
        # load_cert_chain only reads files: write the PEM text to a private temporary
        # directory and remove it right after loading.
        with tempfile.TemporaryDirectory(prefix="kobra2-tls-") as tmp:
            path = Path(tmp) / "client.pem"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(cfg.client_cert.strip() + "\n")
                if cfg.client_key:
                    file.write(cfg.client_key.strip() + "\n")
            # A callable password: OpenSSL must never prompt for an encrypted key's pass phrase.
            ctx.load_cert_chain(path, password=no_pass_phrase)
    return ctx


async def build_ssl_context(cfg: BrokerConfig) -> ssl.SSLContext | None:
    """Return a new SSL context for cfg (None without TLS), built off the event loop."""
    if not cfg.tls:
        return None
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(None, _make_ssl_context, cfg)
    except (ssl.SSLError, ValueError, OSError) as err:
        # The message names the failing step, never the PEM content.
        raise KobraConnectionError(f"invalid TLS settings: {err}") from None
