"""The integration's own brand icon in a real browser: served by Home Assistant and shown on the integrations page."""

from __future__ import annotations

from pathlib import Path

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as HA_VERSION
import pytest

from tests.browser import test_demo

async_api = pytest.importorskip(
    "playwright.async_api", reason="Playwright for Python is not installed"
)

ICON = Path(__file__).parents[2] / "custom_components" / "anycubic_kobra2" / "brand" / "icon.png"
ICON_PATH = "/api/brands/integration/anycubic_kobra2/icon.png"
# Home Assistant serves a custom integration's brand/ folder since 2026.3; older ones ask the brands CDN only.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        AwesomeVersion(HA_VERSION) < AwesomeVersion("2026.3.0"),
        reason=f"Home Assistant {HA_VERSION} takes brand images from the brands CDN, not brand/ (2026.3+)",
    ),
]
# The demo (scripts/demo.py on a free port, stopped with everything it started), as the demo test runs it.
demo = test_demo.demo


async def test_icon_served_and_shown(demo: test_demo.Demo) -> None:
    """Logged in, the integrations page shows our icon, and the address it loads returns brand/icon.png."""
    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(test_demo.CHROMIUM), args=test_demo.CHROMIUM_ARGS, headless=True
        )
        try:
            context = await browser.new_context(viewport={"width": 1100, "height": 900})
            context.set_default_timeout(test_demo.UI_TIMEOUT_MS)
            page = await context.new_page()
            await page.goto(demo.url)
            await page.fill("input[name=username]", "demo")
            await page.fill("input[name=password]", "demo1234")
            await page.press("input[name=password]", "Enter")
            await page.wait_for_url(lambda url: "/auth/" not in url and "auth_callback" not in url)

            # Without a login the image is refused: it is the integration's own file behind auth.
            anonymous = await playwright.request.new_context()
            assert (await anonymous.get(demo.url + ICON_PATH)).status in (401, 403)
            await anonymous.dispose()

            await page.goto(demo.url + "/config/integrations/dashboard")
            image = page.locator(f'img[src*="{ICON_PATH}"]').first
            await image.wait_for()
            await page.wait_for_function(
                "img => img.complete && img.naturalWidth > 0", arg=await image.element_handle()
            )
            width = await image.evaluate("img => img.naturalWidth")
            assert width == 256, f"the page shows a {width} px image, not brand/icon.png"
            src = await image.get_attribute("src")
            assert src is not None
            response = await page.request.get(src if src.startswith("http") else demo.url + src)
            assert response.status == 200
            assert response.headers["content-type"] == "image/png"
            assert await response.body() == ICON.read_bytes()
            await page.screenshot(path=str(_artifact("brand-integrations.png")))
            await context.close()
        finally:
            await browser.close()


def _artifact(name: str) -> Path:
    """Return a path in this environment's browser artifacts folder (made when missing)."""
    test_demo.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return test_demo.ARTIFACTS / name
