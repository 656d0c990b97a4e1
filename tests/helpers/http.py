"""A plain HTTP file server on loopback, for prints from a URL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
import contextlib

from aiohttp import web

from .brokers import LOOPBACK


@contextlib.asynccontextmanager
async def serve_files(files: Mapping[str, bytes]) -> AsyncIterator[str]:
    """Serve files (path without the leading "/" -> body, read per request; 404 for others).

    Yields the base URL. The mapping is looked up on every request, so a test may add files
    to it while the server runs.
    """

    async def handle(request: web.Request) -> web.Response:
        body = files.get(request.match_info["path"])
        if body is None:
            raise web.HTTPNotFound
        return web.Response(body=body)

    app = web.Application()
    app.router.add_get("/{path:.*}", handle)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, LOOPBACK, 0).start()
    try:
        yield f"http://{LOOPBACK}:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
