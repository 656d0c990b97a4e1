"""Actions for files, printing and firmware: list, print, delete, print from a URL, upload, announce."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.service import async_register_admin_service

from .compat import vol
from .const import DOMAIN
from .data import KobraConfigEntry, KobraRuntimeData
from .files import FileBrowser, entry_as_dict
from .firmware import FirmwareOffer
from .kobra2 import Storage, safe_file_name, safe_path
from .sources import MAX_FILE_SIZE, url_filename

ATTR_DEVICE_ID: Final = "device_id"
ATTR_STORAGE: Final = "storage"
ATTR_PATH: Final = "path"
ATTR_URL: Final = "url"
ATTR_FILENAME: Final = "filename"
ATTR_FILE: Final = "file"
ATTR_VERSION: Final = "version"
ATTR_MD5: Final = "md5"
ATTR_SIZE: Final = "size"
ATTR_NAME: Final = "name"
ATTR_RELEASE_URL: Final = "release_url"
ATTR_RELEASE_NOTES: Final = "release_notes"

SERVICE_LIST_FILES: Final = "list_files"
SERVICE_PRINT_FILE: Final = "print_file"
SERVICE_DELETE_FILE: Final = "delete_file"
SERVICE_PRINT_FROM_URL: Final = "print_from_url"
SERVICE_UPLOAD_AND_PRINT: Final = "upload_and_print"
SERVICE_ANNOUNCE_FIRMWARE: Final = "announce_firmware"

_DEVICE: Final[dict[vol.Marker, Any]] = {vol.Required(ATTR_DEVICE_ID): cv.string}
_STORAGE: Final[dict[vol.Marker, Any]] = {
    vol.Optional(ATTR_STORAGE, default=Storage.LOCAL.value): vol.All(
        vol.In([storage.value for storage in Storage]), vol.Coerce(Storage)
    )
}

LIST_FILES_SCHEMA: Final = vol.Schema(
    {**_DEVICE, **_STORAGE, vol.Optional(ATTR_PATH, default="/"): cv.string}
)
FILE_SCHEMA: Final = vol.Schema({**_DEVICE, **_STORAGE, vol.Required(ATTR_PATH): cv.string})
PRINT_FROM_URL_SCHEMA: Final = vol.Schema(
    {**_DEVICE, vol.Required(ATTR_URL): cv.string, vol.Optional(ATTR_FILENAME): cv.string}
)
UPLOAD_AND_PRINT_SCHEMA: Final = vol.Schema({**_DEVICE, vol.Required(ATTR_FILE): cv.string})
ANNOUNCE_FIRMWARE_SCHEMA: Final = vol.Schema(
    {
        **_DEVICE,
        vol.Required(ATTR_VERSION): vol.All(cv.string, vol.Length(min=1, max=64)),
        vol.Required(ATTR_URL): vol.All(cv.string, vol.Match(r"(?i)^https?://\S+$")),
        vol.Required(ATTR_MD5): vol.All(cv.string, vol.Match(r"^[0-9a-fA-F]{32}$")),
        vol.Required(ATTR_SIZE): vol.All(vol.Coerce(int), vol.Range(min=1, max=MAX_FILE_SIZE)),
        vol.Optional(ATTR_NAME): vol.All(cv.string, vol.Length(min=1, max=255)),
        vol.Optional(ATTR_RELEASE_URL): cv.url,
        vol.Optional(ATTR_RELEASE_NOTES): vol.All(cv.string, vol.Length(max=255)),
    }
)


def _runtime(call: ServiceCall) -> KobraRuntimeData:
    """Return the runtime data of the loaded printer the call names."""
    device_id: str = call.data[ATTR_DEVICE_ID]
    device = dr.async_get(call.hass).async_get(device_id)
    for entry_id in device.config_entries if device is not None else ():
        entry: KobraConfigEntry | None = call.hass.config_entries.async_get_entry(entry_id)
        if entry is not None and entry.domain == DOMAIN and entry.state is ConfigEntryState.LOADED:
            return entry.runtime_data
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="device_not_found",
        translation_placeholders={"device_id": device_id},
    )


def _check_name(name: str) -> str:
    """Return name if it is a plain file name the printer may get; raise unsafe_name."""
    if not safe_file_name(name):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unsafe_name",
            translation_placeholders={"name": repr(name)[1:-1][:300]},
        )
    return name


def _check_path(path: str) -> str:
    """Return a printer path whose components are all safe; raise unsafe_name."""
    if not safe_path(path):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unsafe_name",
            translation_placeholders={"name": repr(path)[1:-1][:300]},
        )
    return path


def _browser(call: ServiceCall) -> FileBrowser:
    """Return the file browser of the loaded printer the call names."""
    return _runtime(call).files


async def _async_list_files(call: ServiceCall) -> ServiceResponse:
    """List a folder; the response holds its files and folders."""
    storage: Storage = call.data[ATTR_STORAGE]
    browser = _browser(call)
    entries = await browser.async_list(storage, _check_path(call.data[ATTR_PATH]))
    return {
        "storage": storage.value,
        "path": browser.folder[storage],
        "files": [entry_as_dict(entry) for entry in entries],
    }


async def _async_print_file(call: ServiceCall) -> None:
    """Print a file stored on the printer or its USB stick."""
    path = _check_path(call.data[ATTR_PATH])
    await _browser(call).async_print_file(call.data[ATTR_STORAGE], path)


async def _async_delete_file(call: ServiceCall) -> None:
    """Delete a file from the printer or its USB stick."""
    path = _check_path(call.data[ATTR_PATH])
    await _browser(call).async_delete(call.data[ATTR_STORAGE], path)


async def _async_print_from_url(call: ServiceCall) -> None:
    """Have the printer download a URL and print it."""
    url: str = call.data[ATTR_URL]
    # The printer gets the name as given: a base name, never a path (L11 of the review).
    if filename := call.data.get(ATTR_FILENAME) or url_filename(url):
        _check_name(filename)
    await _browser(call).async_print_from_url(url, filename or None)


async def _async_upload_and_print(call: ServiceCall) -> None:
    """Serve a Home Assistant file to the printer and print it."""
    await _browser(call).async_upload_and_print(call.data[ATTR_FILE])


async def _async_announce_firmware(call: ServiceCall) -> None:
    """Offer a firmware image to a printer's update entity (nothing on a LAN announces one)."""
    data = call.data
    offer = FirmwareOffer(
        version=data[ATTR_VERSION],
        url=data[ATTR_URL],
        md5=data[ATTR_MD5].lower(),
        size=data[ATTR_SIZE],
        name=data.get(ATTR_NAME),
        release_url=data.get(ATTR_RELEASE_URL),
        release_notes=data.get(ATTR_RELEASE_NOTES),
    )
    _check_name(offer.file_name)
    _runtime(call).firmware.announce(offer)


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the file, printing and firmware actions (once, from async_setup)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_LIST_FILES,
        _async_list_files,
        schema=LIST_FILES_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(DOMAIN, SERVICE_PRINT_FILE, _async_print_file, schema=FILE_SCHEMA)
    hass.services.async_register(
        DOMAIN, SERVICE_DELETE_FILE, _async_delete_file, schema=FILE_SCHEMA
    )
    # These two make the printer or Home Assistant fetch any URL, and one flashes firmware:
    # admins only, like Home Assistant's own downloader. Automations may still call them.
    async_register_admin_service(
        hass, DOMAIN, SERVICE_PRINT_FROM_URL, _async_print_from_url, schema=PRINT_FROM_URL_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_UPLOAD_AND_PRINT, _async_upload_and_print, schema=UPLOAD_AND_PRINT_SCHEMA
    )
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_ANNOUNCE_FIRMWARE,
        _async_announce_firmware,
        schema=ANNOUNCE_FIRMWARE_SCHEMA,
    )
