"""TLS with a home-made CA like the printer tools make: accepted, and the chain still verified."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID, NameOID
import pytest

from kobra2_sim import KobraSimulator, SimulatorConfig, build_ssl_context
from tests.helpers.brokers import LOOPBACK, MosquittoBroker
from tests.helpers.certs import Pki, _cert_pem, _key_pem

from .conftest import observing


def _builder(subject: str, issuer: str, key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
    """Start a certificate with a name, a key and ten years of validity, and no extensions."""
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
    )


def home_made_pki(ca_name: str) -> Pki:
    """Make a CA and certificates as KU's generate_certs.sh does with `openssl req -x509`.

    The CA carries only basic constraints (no key usage, no key identifiers); the server and
    client certificates, signed with `openssl x509 -req` and no extension file, carry none.
    Python 3.13's strict X.509 mode refuses such a chain.
    """
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        _builder(ca_name, ca_name, ca_key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaves: list[tuple[str, str]] = []
    for name in ("localhost", "printer"):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _builder(name, ca_name, key).sign(ca_key, hashes.SHA256())
        leaves.append((_cert_pem(cert), _key_pem(key)))
    (server_cert, server_key), (client_cert, client_key) = leaves
    return Pki(_cert_pem(ca), server_cert, server_key, client_cert, client_key)


def test_the_test_ca_lacks_what_strict_mode_wants() -> None:
    """The generated CA really is minimal: no key usage, no authority key identifier."""
    pki = home_made_pki("minimal CA")
    ca = x509.load_pem_x509_certificate(pki.ca_pem.encode())
    present = {ext.oid for ext in ca.extensions}
    assert present == {ExtensionOID.BASIC_CONSTRAINTS}
    server = x509.load_pem_x509_certificate(pki.server_cert_pem.encode())
    assert not list(server.extensions)


def test_ssl_context_relaxes_strict_mode_only_for_a_private_ca() -> None:
    """With a CA the chain is verified without the strict flag; the system store keeps it."""
    pki = home_made_pki("minimal CA")
    private = build_ssl_context(SimulatorConfig(tls=True, ca_data=pki.ca_pem))
    assert private.verify_mode is ssl.CERT_REQUIRED
    assert not private.verify_flags & ssl.VERIFY_X509_STRICT
    system = build_ssl_context(SimulatorConfig(tls=True))
    default = ssl.create_default_context()
    assert system.verify_mode is ssl.CERT_REQUIRED
    assert system.verify_flags & ssl.VERIFY_X509_STRICT == (
        default.verify_flags & ssl.VERIFY_X509_STRICT
    )


async def _handshake(port: int, context: ssl.SSLContext) -> None:
    """Open and close one TLS connection to 127.0.0.1:port."""
    _, writer = await asyncio.open_connection(LOOPBACK, port, ssl=context)
    writer.close()
    await writer.wait_closed()


async def test_simulator_connects_through_a_home_made_ca(make_mosquitto, make_sim) -> None:
    """A mosquitto certificate from the minimal CA: the simulator connects, verifies and works."""
    pki = home_made_pki("kobra2 home-made CA")
    broker: MosquittoBroker = await make_mosquitto(tls=True, pki=pki)
    # Control: the chain is one that strict X.509 verification refuses.
    strict = ssl.create_default_context(cadata=pki.ca_pem)
    strict.check_hostname = False
    strict.verify_flags |= ssl.VERIFY_X509_STRICT
    with pytest.raises(ssl.SSLCertVerificationError):
        await _handshake(broker.tls_port, strict)
    async with observing(broker.port) as observer:
        sim: KobraSimulator = await make_sim(broker.tls_port, tls=True, ca_data=pki.ca_pem)
        assert sim.connected
        await observer.expect("lastWill", state="online")
        await observer.send(sim, "status", "query")
        assert (await observer.expect("status", "workReport")).state == "free"
    assert (await sim.wait_for_command("status", "query")).handled


async def test_a_different_home_made_ca_is_refused(make_mosquitto, make_sim) -> None:
    """The relaxed flag does not turn verification off: another minimal CA fails the handshake."""
    broker: MosquittoBroker = await make_mosquitto(tls=True, pki=home_made_pki("printer CA"))
    # Same name, other key: the CA is found by name, and the signature check still fails.
    other = home_made_pki("printer CA")
    sim = await make_sim(
        broker.tls_port, start=False, tls=True, ca_data=other.ca_pem, reconnect=False
    )
    with pytest.raises(ConnectionError, match="certificate signature failure"):
        await sim.start()
    assert not sim.connected
    # The same simulator settings with the broker's own CA connect.
    trusted = await make_sim(broker.tls_port, tls=True, ca_data=broker.pki.ca_pem, reconnect=False)
    assert trusted.connected
