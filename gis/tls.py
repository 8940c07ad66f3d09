"""A self-signed TLS certificate for the embedded cluster, when it listens beyond the loopback.

Staff connect QGIS straight to PostGIS from their own machines; their passwords and the
registries' personal data must not cross the council's network in clear text. The embedded
cluster then serves TLS with a certificate it makes itself (ECDSA P-256, ten years), naming
the hosts clients use; ``sslmode=require`` encrypts, and a client that stores the
certificate (``GET /qgis/server.crt``) can verify it (``sslmode=verify-full``).
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VALID_DAYS = 3650


def _alt_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def certificate_names(cert_file: Path) -> set[str]:
    """Return the host names and addresses a PEM certificate is valid for (empty if none)."""
    try:
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return set()
    return {str(n.value) for n in alt}


def write_self_signed(cert_file: Path, key_file: Path, names: list[str]) -> None:
    """Write a self-signed certificate for ``names`` (first: the common name) and its key
    (mode 600)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0]),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Hromada GIS")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=VALID_DAYS))
            .add_extension(x509.SubjectAlternativeName([_alt_name(n) for n in names]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256()))
    key_file.touch(mode=0o600)
    key_file.chmod(0o600)
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
