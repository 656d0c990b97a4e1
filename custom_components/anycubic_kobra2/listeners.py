"""Report listeners: every applied report goes to each of them; a failing one is logged once per kind."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import CALLBACK_TYPE, callback

from .const import LOGGER
from .kobra2 import Report

type ReportListener = Callable[[Report], None]


class ReportListeners:
    """The coordinator's report listeners (event entity, firmware tracker, repairs, actions)."""

    def __init__(self) -> None:
        """Start without listeners."""
        self._listeners: list[ReportListener] = []
        self._errors: set[tuple[int, str]] = set()

    @callback
    def add(self, listener: ReportListener) -> CALLBACK_TYPE:
        """Call listener with every report after it was applied; return the remover."""
        self._listeners.append(listener)

        @callback
        def remove() -> None:
            """Stop calling the listener."""
            self._listeners.remove(listener)

        return remove

    @callback
    def notify(self, report: Report) -> None:
        """Hand a report to every listener; one faulty listener must not stop the others."""
        for listener in list(self._listeners):
            try:
                listener(report)
            except Exception as err:  # one faulty listener must not stop the others
                self._log_error(listener, err)

    def _log_error(self, listener: ReportListener, err: Exception) -> None:
        """Log a failing report listener with its traceback once per kind of error."""
        key = (id(listener), type(err).__qualname__)
        if key in self._errors:
            LOGGER.debug("Error in a report listener again: %r", err)
            return
        self._errors.add(key)
        LOGGER.error("Error in a report listener", exc_info=err)
