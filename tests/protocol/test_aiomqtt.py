"""The private aiomqtt and paho API that the client's patches rely on is still there."""

from __future__ import annotations

from importlib.metadata import version

import aiomqtt
import pytest

from custom_components.anycubic_kobra2.kobra2 import _aiomqtt


async def test_private_api_present() -> None:
    """Every private name the patches use exists in the installed aiomqtt and paho."""
    missing = _aiomqtt.missing_private_api()
    assert not missing, (
        f"aiomqtt {version('aiomqtt')} / paho-mqtt {version('paho-mqtt')} lack what "
        f"kobra2/_aiomqtt.py patches: {', '.join(missing)}; adapt the patches before "
        "changing the aiomqtt pin"
    )


async def test_missing_name_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name gone from aiomqtt shows up in the report (so the guard can fail)."""
    monkeypatch.setattr(_aiomqtt, "AIOMQTT_METHODS", ("_no_such_method",))
    monkeypatch.setattr(_aiomqtt, "AIOMQTT_ATTRIBUTES", ("_no_such_attribute",))
    monkeypatch.setattr(_aiomqtt, "PAHO_ATTRIBUTES", ("_no_such_paho_attribute",))
    assert _aiomqtt.missing_private_api() == [
        "aiomqtt.Client._no_such_method",
        "aiomqtt.Client()._no_such_attribute",
        "paho Client()._no_such_paho_attribute",
    ]


async def test_client_that_cannot_be_built_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """An aiomqtt whose client breaks without a method the patches override is reported too."""
    monkeypatch.delattr(aiomqtt.Client, "_on_socket_open")
    missing = _aiomqtt.missing_private_api()
    assert "aiomqtt.Client._on_socket_open" in missing
    assert any(item.startswith("aiomqtt.Client() cannot be built") for item in missing)


def test_patched_client_overrides_what_it_names() -> None:
    """MqttClient overrides exactly the aiomqtt methods the docstring lists."""
    for name in _aiomqtt.AIOMQTT_METHODS:
        assert name in vars(_aiomqtt.MqttClient), name
        assert name in (_aiomqtt.__doc__ or ""), name
    for name in (*_aiomqtt.AIOMQTT_ATTRIBUTES, *_aiomqtt.PAHO_ATTRIBUTES, "_reset_sockets"):
        assert name in (_aiomqtt.__doc__ or ""), name
