"""Actions for files and printing: list, print, delete, print from a URL, upload and print."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr

from .compat import vol
from .const import DOMAIN
from .coordinator import KobraConfigEntry
from .kobra2.models import Storage
from .printing import FileBrowser, async_get_browser, entry_as_dict

ATTR_DEVICE_ID: Final = "device_id"
ATTR_STORAGE: Final = "storage"
ATTR_PATH: Final = "path"
ATTR_URL: Final = "url"
ATTR_FILENAME: Final = "filename"
ATTR_FILE: Final = "file"

SERVICE_LIST_FILES: Final = "list_files"
SERVICE_PRINT_FILE: Final = "print_file"
SERVICE_DELETE_FILE: Final = "delete_file"
SERVICE_PRINT_FROM_URL: Final = "print_from_url"
SERVICE_UPLOAD_AND_PRINT: Final = "upload_and_print"

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


def _browser(call: ServiceCall) -> FileBrowser:
    """Return the file browser of the loaded printer the call names."""
    device_id: str = call.data[ATTR_DEVICE_ID]
    device = dr.async_get(call.hass).async_get(device_id)
    for entry_id in device.config_entries if device is not None else ():
        entry: KobraConfigEntry | None = call.hass.config_entries.async_get_entry(entry_id)
        if entry is not None and entry.domain == DOMAIN and entry.state is ConfigEntryState.LOADED:
            return async_get_browser(entry.runtime_data)
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="device_not_found",
        translation_placeholders={"device_id": device_id},
    )


async def _async_list_files(call: ServiceCall) -> ServiceResponse:
    """List a folder; the response holds its files and folders."""
    storage: Storage = call.data[ATTR_STORAGE]
    browser = _browser(call)
    entries = await browser.async_list(storage, call.data[ATTR_PATH])
    return {
        "storage": storage.value,
        "path": browser.folder[storage],
        "files": [entry_as_dict(entry) for entry in entries],
    }


async def _async_print_file(call: ServiceCall) -> None:
    """Print a file stored on the printer or its USB stick."""
    await _browser(call).async_print_file(call.data[ATTR_STORAGE], call.data[ATTR_PATH])


async def _async_delete_file(call: ServiceCall) -> None:
    """Delete a file from the printer or its USB stick."""
    await _browser(call).async_delete(call.data[ATTR_STORAGE], call.data[ATTR_PATH])


async def _async_print_from_url(call: ServiceCall) -> None:
    """Have the printer download a URL and print it."""
    await _browser(call).async_print_from_url(call.data[ATTR_URL], call.data.get(ATTR_FILENAME))


async def _async_upload_and_print(call: ServiceCall) -> None:
    """Serve a Home Assistant file to the printer and print it."""
    await _browser(call).async_upload_and_print(call.data[ATTR_FILE])


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the file and printing actions (once, from async_setup)."""
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
    hass.services.async_register(
        DOMAIN, SERVICE_PRINT_FROM_URL, _async_print_from_url, schema=PRINT_FROM_URL_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_UPLOAD_AND_PRINT, _async_upload_and_print, schema=UPLOAD_AND_PRINT_SCHEMA
    )
