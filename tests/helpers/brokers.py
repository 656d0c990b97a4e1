"""Real MQTT brokers for tests: amqtt in-process and mosquitto as a supervised subprocess."""

from __future__ import annotations

import asyncio
import atexit
import base64
from dataclasses import dataclass, field
import hashlib
import hmac
import os
from pathlib import Path
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import Any, Self

from amqtt.broker import Broker
from amqtt.plugins.base import BaseAuthPlugin
from amqtt.session import Session

from .certs import Pki, PkiFiles, shared_pki

LOOPBACK = "127.0.0.1"
MOSQUITTO = os.environ.get("KOBRA2_MOSQUITTO", "/usr/sbin/mosquitto")
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 5.0
# Seconds amqtt may take to shut down before its leftover connections are aborted.
_AMQTT_CLOSE_GRACE = 3.0

_SETPRIV = shutil.which("setpriv")
_PDEATHSIG = [_SETPRIV, "--pdeathsig", "KILL"] if _SETPRIV else []

# Every mosquitto process ever started by this module; reaped at session end and at exit
# no matter how a test ended (a lingering broker once broke CI).
_LIVE: set[subprocess.Popen[bytes]] = set()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_port(
    port: int, timeout: float = _START_TIMEOUT, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait until something accepts TCP connections on 127.0.0.1:port (fail early if proc dies)."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"broker exited with {proc.returncode} before listening on {port}")
        try:
            _, writer = await asyncio.open_connection(LOOPBACK, port)
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {LOOPBACK}:{port}") from None
            await asyncio.sleep(0.02)
            continue
        writer.close()
        await writer.wait_closed()
        return


def reap_all() -> None:
    """Kill and reap every mosquitto process this module started that is still around."""
    for proc in list(_LIVE):
        _reap(proc)


def _reap(proc: subprocess.Popen[bytes]) -> None:
    """Kill proc (waking it first if frozen) and wait for it, synchronously."""
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGCONT)
            proc.kill()
        except ProcessLookupError:
            pass
        proc.wait()
    _LIVE.discard(proc)


atexit.register(reap_all)


def mosquitto_password_hash(password: str, iterations: int = 101) -> str:
    """Return a mosquitto 2.x password-file hash ($7$: PBKDF2-HMAC-SHA512) for password."""
    salt = secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


class StaticAuthPlugin(BaseAuthPlugin):
    """amqtt auth plugin accepting exactly one username/password pair."""

    @dataclass
    class Config:
        """Credentials the plugin accepts."""

        username: str = ""
        password: str = ""

    async def authenticate(self, *, session: Session) -> bool | None:
        """Accept the session only with the configured credentials."""
        cfg: StaticAuthPlugin.Config = self.config
        given = session.password or ""
        return session.username == cfg.username and hmac.compare_digest(
            given.encode(), cfg.password.encode()
        )


class AnonymousPlugin(BaseAuthPlugin):
    """amqtt auth plugin accepting everyone (the stock one needs more configuration)."""

    @dataclass
    class Config:
        """No options."""

    async def authenticate(self, *, session: Session) -> bool | None:
        """Accept every session."""
        return True


def _cancel_stale_keepalive_timers() -> None:
    """Cancel keepalive timers amqtt re-armed for connections it has already stopped.

    amqtt re-arms a connection's keepalive timer after every packet it sends; a send that
    completes while the broker shuts down leaves a timer behind, which Home Assistant's test
    plugin would report as lingering.
    """
    loop = asyncio.get_running_loop()
    for handle in list(getattr(loop, "_scheduled", ())):
        callback = getattr(handle, "_callback", None)
        owner = getattr(callback, "__self__", None)
        if (
            getattr(callback, "__name__", "") == "handle_write_timeout"
            and type(owner).__module__.startswith("amqtt.")
            and (owner.session is None or owner._reader_stopped.is_set())
        ):
            handle.cancel()


class AmqttBroker:
    """amqtt broker in the test's event loop on 127.0.0.1: plain on port, optionally TLS on tls_port."""

    kind = "amqtt"

    def __init__(
        self,
        *,
        username: str | None = None,
        password: str | None = None,
        tls: bool = False,
        pki: Pki | None = None,
    ) -> None:
        self.host = LOOPBACK
        # Chosen now, so the port can be shown before the broker starts (scripts/demo.py).
        self.port = free_port()
        self.tls_port = 0
        self.username = username
        self.password = password
        self.tls = tls
        self._pki = pki
        self.pki_files: PkiFiles | None = None
        self._dir: Path | None = None
        self._broker: Broker | None = None

    @property
    def pki(self) -> Pki:
        """Return the PKI whose CA signed the TLS listener's certificate."""
        if self._pki is None:
            self._pki = shared_pki()
        return self._pki

    def _config(self) -> dict[str, Any]:
        """Build the amqtt configuration (no $SYS plugin: its timer would outlive tests)."""
        auth: dict[str, Any]
        if self.username is not None:
            auth = {
                f"{__name__}.StaticAuthPlugin": {
                    "username": self.username,
                    "password": self.password or "",
                }
            }
        else:
            auth = {f"{__name__}.AnonymousPlugin": {}}
        listeners: dict[str, Any] = {"default": {"type": "tcp", "bind": f"{LOOPBACK}:{self.port}"}}
        if self.pki_files is not None:
            listeners["tls"] = {
                "type": "tcp",
                "bind": f"{LOOPBACK}:{self.tls_port}",
                "ssl": True,
                "certfile": str(self.pki_files.server_cert),
                "keyfile": str(self.pki_files.server_key),
                "cafile": str(self.pki_files.ca),
            }
        return {"listeners": listeners, "plugins": auth}

    async def start(self) -> None:
        """Start listening (on new free ports unless set; ports are kept across restarts)."""
        if self._broker is not None:
            return
        if not self.port:
            self.port = free_port()
        if self.tls and not self.tls_port:
            self.tls_port = free_port()
        if self.tls and self.pki_files is None:
            # amqtt reads the certificate and key from files only.
            self._dir = Path(tempfile.mkdtemp(prefix="kobra2-amqtt-"))
            self.pki_files = self.pki.write(self._dir)
        broker = Broker(self._config())
        await broker.start()
        self._broker = broker

    async def stop(self) -> None:
        """Shut down; closes all client sessions and cancels the broker's tasks."""
        broker, self._broker = self._broker, None
        if broker is None:
            return
        shutdown = asyncio.ensure_future(broker.shutdown())
        done, _ = await asyncio.wait({shutdown}, timeout=_AMQTT_CLOSE_GRACE)
        if not done:
            # Since Python 3.12 Server.wait_closed() waits for every accepted connection and
            # amqtt's shutdown awaits it; a connection amqtt never closed (about one teardown
            # in forty) would hang here, so the leftovers are aborted after a grace period.
            for server in broker._servers.values():
                instance = server.instance
                if isinstance(instance, asyncio.Server):
                    instance.abort_clients()
        await shutdown
        _cancel_stale_keepalive_timers()

    async def restart(self) -> None:
        """Stop and start again on the same port."""
        await self.stop()
        await self.start()

    async def close(self) -> None:
        """Stop and remove the TLS files (mirrors MosquittoBroker.close())."""
        await self.stop()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
            self.pki_files = None

    @property
    def running(self) -> bool:
        """Return True while started."""
        return self._broker is not None

    async def __aenter__(self) -> Self:
        """Start on entry."""
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop on exit."""
        await self.stop()

    def __repr__(self) -> str:
        """Describe the broker for test ids and failures."""
        return f"<AmqttBroker {self.host}:{self.port} tls={self.tls_port or '-'}>"


@dataclass
class MosquittoOptions:
    """What a MosquittoBroker listens with."""

    users: dict[str, str] = field(
        default_factory=dict
    )  # name → password; non-empty disables anonymous
    tls: bool = False  # add a TLS listener on tls_port with the PKI's server certificate
    require_certificate: bool = False  # TLS clients must present a certificate from the PKI's CA
    pki: Pki | None = None  # defaults to the session PKI
    extra_config: list[str] = field(default_factory=list)


class MosquittoBroker:
    """/usr/sbin/mosquitto subprocess on 127.0.0.1 (plain listener on port, optional TLS listener on tls_port)."""

    kind = "mosquitto"

    def __init__(
        self,
        *,
        users: dict[str, str] | None = None,
        tls: bool = False,
        require_certificate: bool = False,
        pki: Pki | None = None,
        extra_config: list[str] | None = None,
        workdir: Path | None = None,
    ) -> None:
        self.options = MosquittoOptions(
            users=dict(users or {}),
            tls=tls or require_certificate,
            require_certificate=require_certificate,
            pki=pki,
            extra_config=list(extra_config or []),
        )
        self.host = LOOPBACK
        self.port = 0
        self.tls_port = 0
        self._own_dir = workdir is None
        self._dir = workdir or Path(tempfile.mkdtemp(prefix="kobra2-mosquitto-"))
        self._dir.mkdir(parents=True, exist_ok=True)
        self._proc: subprocess.Popen[bytes] | None = None
        self.pki_files: PkiFiles | None = None

    @property
    def pki(self) -> Pki:
        """Return the PKI whose CA signed the server certificate."""
        if self.options.pki is None:
            self.options.pki = shared_pki()
        return self.options.pki

    @property
    def log_path(self) -> Path:
        """Return the file mosquitto logs into (useful in failure messages)."""
        return self._dir / "mosquitto.log"

    @property
    def pid(self) -> int | None:
        """Return the process id while running."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    @property
    def running(self) -> bool:
        """Return True while the process is alive (frozen counts as alive)."""
        return self.pid is not None

    def _write_config(self) -> Path:
        """Write mosquitto.conf (and password file / certificates) into the work directory."""
        opts = self.options
        lines = [
            "per_listener_settings false",
            "persistence false",
            f"log_dest file {self.log_path}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
        ]
        if os.geteuid() == 0:
            # Otherwise mosquitto switches to the "mosquitto" user and cannot read our 0600 files.
            lines.append("user root")
        if opts.users:
            pwfile = self._dir / "passwd"
            pwfile.write_text(
                "".join(
                    f"{name}:{mosquitto_password_hash(pw)}\n" for name, pw in opts.users.items()
                )
            )
            pwfile.chmod(0o600)
            lines += ["allow_anonymous false", f"password_file {pwfile}"]
        else:
            lines.append("allow_anonymous true")
        lines.append(f"listener {self.port} {LOOPBACK}")
        if opts.tls:
            self.pki_files = self.pki.write(self._dir / "pki")
            lines += [
                f"listener {self.tls_port} {LOOPBACK}",
                f"cafile {self.pki_files.ca}",
                f"certfile {self.pki_files.server_cert}",
                f"keyfile {self.pki_files.server_key}",
                f"require_certificate {'true' if opts.require_certificate else 'false'}",
            ]
        lines += opts.extra_config
        conf = self._dir / "mosquitto.conf"
        conf.write_text("\n".join(lines) + "\n")
        return conf

    async def start(self) -> None:
        """Start mosquitto (ports are chosen once and kept across restarts) and wait until it accepts."""
        if self.running:
            return
        if not self.port:
            self.port = free_port()
        if self.options.tls and not self.tls_port:
            self.tls_port = free_port()
        conf = self._write_config()
        # Same process group as the test run, so a group kill (CI timeout, Ctrl-C) reaches it,
        # and a parent-death signal for a SIGKILLed test run, where no cleanup code runs.
        # Popen runs on the calling (event-loop) thread; the signal fires when it ends.
        proc = subprocess.Popen(
            [*_PDEATHSIG, MOSQUITTO, "-c", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _LIVE.add(proc)
        self._proc = proc
        try:
            await wait_port(self.port, proc=proc)
            if self.options.tls:
                await wait_port(self.tls_port, proc=proc)
        except BaseException as err:
            _reap(proc)
            self._proc = None
            if isinstance(err, (RuntimeError, TimeoutError)):
                raise RuntimeError(f"mosquitto failed to start: {self.read_log()}") from err
            raise

    def read_log(self) -> str:
        """Return mosquitto's log so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    async def _wait_exit(self, proc: subprocess.Popen[bytes], timeout: float) -> bool:
        """Poll (without blocking the loop) until proc exits; return whether it did."""
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def stop(self) -> None:
        """Terminate gracefully (SIGTERM, SIGKILL after a grace period) and reap the process."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGCONT)  # a frozen process cannot handle SIGTERM
                proc.terminate()
            except ProcessLookupError:
                pass
            if not await self._wait_exit(proc, _STOP_TIMEOUT):
                proc.kill()
                await self._wait_exit(proc, _STOP_TIMEOUT)
        _reap(proc)

    async def kill(self) -> None:
        """SIGKILL: connections drop without DISCONNECT/TCP goodbye from the broker's side."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
            await self._wait_exit(proc, _STOP_TIMEOUT)
        _reap(proc)

    def freeze(self) -> None:
        """SIGSTOP: the broker stays connected but answers nothing (a hung broker)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT: resume a frozen broker."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGCONT)

    async def restart(self) -> None:
        """Stop and start again on the same port(s)."""
        await self.stop()
        await self.start()

    async def close(self) -> None:
        """Stop and remove the work directory (if this object created it)."""
        await self.stop()
        if self._own_dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    async def __aenter__(self) -> Self:
        """Start on entry."""
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop and clean up on exit."""
        await self.close()

    def __repr__(self) -> str:
        """Describe the broker for test ids and failures."""
        return (
            f"<MosquittoBroker {self.host}:{self.port} tls={self.tls_port or '-'} pid={self.pid}>"
        )


AnyBroker = AmqttBroker | MosquittoBroker
