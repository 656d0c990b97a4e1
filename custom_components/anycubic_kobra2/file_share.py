"""The signed file share: expiring links under Home Assistant's HTTP server the printer downloads from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
import hashlib
import hmac
from pathlib import PurePosixPath
import secrets
from typing import Final
from urllib.parse import quote, urlsplit

from aiohttp import web
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER
from .file_serving import FileIdentity, async_send_file

# How long a signed link stays valid: enough for the printer to start downloading, short enough
# that a leaked link soon stops working.
URL_LIFETIME: Final = timedelta(hours=1)
FILES_URL: Final = f"/api/{DOMAIN}/files"

DATA_FILE_SHARE: HassKey[FileShare] = HassKey(f"{DOMAIN}_file_share")


@dataclass(frozen=True, slots=True)
class _Share:
    """One file offered to the printer."""

    path: FileIdentity
    filename: str
    expires: datetime
    signature: str


class FileShare:
    """Signed, expiring links under Home Assistant's HTTP server to files the printer downloads.

    A token is a random id plus an HMAC over id, file name and expiry, keyed by a secret that
    lives only in memory, so links die with the process and cannot be forged or stretched.
    """

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self._key = secrets.token_bytes(32)
        self._shares: dict[str, _Share] = {}
        # The clock; tests move it to see links expire.
        self.now = now or dt_util.utcnow

    def _sign(self, share_id: str, filename: str, expires: datetime) -> str:
        """Return the HMAC of one share's identity."""
        message = f"{share_id}\n{filename}\n{expires.isoformat()}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    @callback
    def add(self, path: FileIdentity, filename: str, lifetime: timedelta = URL_LIFETIME) -> str:
        """Offer path under filename for lifetime; return the URL path (no host) to fetch it."""
        self._prune()
        share_id = secrets.token_urlsafe(16)
        expires = self.now() + lifetime
        signature = self._sign(share_id, filename, expires)
        self._shares[share_id] = _Share(path, filename, expires, signature)
        return f"{FILES_URL}/{share_id}.{signature}/{quote(filename)}"

    @callback
    def get(self, token: str, filename: str) -> FileIdentity | None:
        """Return the shared file for a token and name, or None when unknown, forged or expired."""
        share_id, _, signature = token.partition(".")
        share = self._shares.get(share_id)
        if share is None:
            return None
        expected = self._sign(share_id, share.filename, share.expires)
        if not (
            hmac.compare_digest(signature.encode(), expected.encode())
            and hmac.compare_digest(filename.encode(), share.filename.encode())
        ):
            return None
        if self.now() >= share.expires:
            del self._shares[share_id]
            return None
        return share.path

    @callback
    def revoke(self, url: str) -> None:
        """Stop offering the file behind a URL returned by add."""
        token = PurePosixPath(urlsplit(url).path).parent.name
        self._shares.pop(token.partition(".")[0], None)

    def _prune(self) -> None:
        """Forget expired shares."""
        now = self.now()
        for share_id in [key for key, share in self._shares.items() if now >= share.expires]:
            del self._shares[share_id]

    def __len__(self) -> int:
        """Return how many shares are held (expired ones go on the next add)."""
        return len(self._shares)


class KobraFileView(HomeAssistantView):
    """Serves shared files to the printer; the signed token in the URL is the only credential."""

    url = FILES_URL + "/{token}/{filename}"
    name = f"api:{DOMAIN}:files"
    # The printer cannot send a Home Assistant token; the HMAC-signed, expiring URL stands in.
    requires_auth = False

    def __init__(self, hass: HomeAssistant, share: FileShare) -> None:
        self._hass = hass
        self._share = share

    async def get(self, request: web.Request, token: str, filename: str) -> web.StreamResponse:
        """Send the file, or 404 for anything unknown, forged or expired."""
        identity = self._share.get(token, filename)
        if identity is None:
            LOGGER.debug("Refused a file download from %s", request.remote)
            raise web.HTTPNotFound
        LOGGER.debug("Serving %s to %s", filename, request.remote)
        # The file that was checked and hashed, or 404 (security review L3/L4).
        return await async_send_file(self._hass, request, identity)


@callback
def async_get_file_share(hass: HomeAssistant) -> FileShare:
    """Return the file share, registering its HTTP view on first use."""
    if (share := hass.data.get(DATA_FILE_SHARE)) is None:
        share = hass.data[DATA_FILE_SHARE] = FileShare()
        hass.http.register_view(KobraFileView(hass, share))
    return share


def file_url(hass: HomeAssistant, url_path: str) -> str:
    """Return the absolute URL of url_path on Home Assistant, as the printer must reach it."""
    try:
        # The printer sits on the LAN and likely cannot do TLS to a cloud proxy: prefer the
        # internal URL, allow a bare IP, never the Nabu Casa remote URL.
        base = get_url(hass, prefer_external=False, allow_ip=True, allow_cloud=False)
    except NoURLAvailableError as err:
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="no_url") from err
    return base.rstrip("/") + url_path
