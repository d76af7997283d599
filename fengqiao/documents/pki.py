"""The platform's certificate authority: a root, an issuing CA, and per-signer certificates.

Development: ``PlatformCA.load_or_create(dir)`` makes a root and an issuing CA as PEM files the
first time and reuses them after. Production: ``PlatformCA.from_pkcs12(path, passphrase)``
loads an issuing key and chain obtained from a real CA.

The CA also publishes certificate revocation lists (``crls()``: one from the root for the
issuing CA, one from the issuing CA for signer and time-stamping certificates). They are
embedded in every signed PDF's DSS, so a court can check the chain years later without
reaching us. ``time_stamping_authority()`` is the platform's own RFC 3161 TSA key pair,
made once under the issuing CA, used when no licensed TSA (``FENGQIAO_TSA_URL``) is set.

Each signature gets its own short-lived certificate whose subject is the verified name plus a
masked ID and a keyed hash of the ID number, so every PAdES signature names its signer
without putting the full ID number in the PDF. The key is generated for one signing and then
dropped: nobody, the platform included, can sign with it again later.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from fengqiao.documents.texts import SIGNING

PLATFORM_NAME = "枫桥调解平台"
SIGNER_VALIDITY = timedelta(hours=1)
ROOT_FILE, ROOT_KEY_FILE = "root-ca.pem", "root-ca.key.pem"
ISSUING_FILE, ISSUING_KEY_FILE = "issuing-ca.pem", "issuing-ca.key.pem"
TSA_FILE, TSA_KEY_FILE = "tsa.pem", "tsa.key.pem"
CRL_VALIDITY = timedelta(days=7)  # the issuing CA's list of signer/TSA certificates
# The root's list (an ARL: it only covers the issuing CA) is issued for three years, as
# offline roots do. A validator sliding back to the signing time must still find the
# issuing CA's status current at its own validation time; archive timestamps with a fresh
# ARL (``ltv.renew_archive``) extend that before it runs out.
ARL_VALIDITY = timedelta(days=3 * 366)
ROOT_CRL_PATH, ISSUING_CRL_PATH = "/api/v1/trust/root-ca.crl", "/api/v1/trust/issuing-ca.crl"


class CredentialsError(RuntimeError):
    pass


@dataclass(frozen=True)
class SignerIdentity:
    """A verified person (or, for the seal, the committee) about to sign."""

    name: str  # verified real name, or the committee's name for the seal
    signer_key: str  # opaque platform id, matched against the field's assigned signer
    role: str  # party, mediator, seal
    id_number: str = ""  # full ID number, only hashed into the certificate
    organisation: str = ""  # the committee, for mediator and seal
    operator: str = ""  # seal: the natural person who applied it (named in the certificate)


@dataclass
class PlatformCA:
    root_cert: x509.Certificate
    issuing_cert: x509.Certificate
    issuing_key: ec.EllipticCurvePrivateKey | object  # any key cryptography can sign with
    id_hash_secret: bytes
    root_key: object | None = None  # only for the development CA: it signs the root's CRL
    public_url: str = ""  # where the CRLs are published (CRL distribution points)
    folder: Path | None = None  # where the platform TSA's key pair is kept
    _tsa: tuple[asn1_x509.Certificate, asn1_keys.PrivateKeyInfo] | None = field(
        default=None, init=False, repr=False)

    # --- loading ---------------------------------------------------------------------
    @classmethod
    def load_or_create(cls, directory: Path | str, *, id_hash_secret: bytes,
                       name: str = PLATFORM_NAME, public_url: str = "") -> PlatformCA:
        """Development CA stored as PEM files under ``directory``; created on first use."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / f for f in (ROOT_FILE, ISSUING_FILE, ISSUING_KEY_FILE)]
        if not all(p.is_file() for p in paths):
            _create_dev_ca(folder, name)
        root = x509.load_pem_x509_certificate((folder / ROOT_FILE).read_bytes())
        issuing = x509.load_pem_x509_certificate((folder / ISSUING_FILE).read_bytes())
        key = serialization.load_pem_private_key((folder / ISSUING_KEY_FILE).read_bytes(), None)
        root_key_path = folder / ROOT_KEY_FILE
        root_key = (serialization.load_pem_private_key(root_key_path.read_bytes(), None)
                    if root_key_path.is_file() else None)
        return cls(root, issuing, key, id_hash_secret, root_key=root_key,
                   public_url=public_url, folder=folder)

    @classmethod
    def from_pkcs12(cls, path: Path | str, passphrase: str | bytes | None, *,
                    id_hash_secret: bytes, public_url: str = "",
                    tsa_dir: Path | str | None = None) -> PlatformCA:
        """Production: a PKCS#12 with the issuing CA key, its certificate and the root."""
        pw = passphrase.encode() if isinstance(passphrase, str) else passphrase
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(Path(path).read_bytes(), pw)
        except (OSError, ValueError) as exc:
            raise CredentialsError(SIGNING["pkcs12"]) from exc
        if key is None or cert is None:
            raise CredentialsError(SIGNING["pkcs12"])
        roots = [c for c in extra if c.subject == c.issuer] or [cert]
        folder = Path(tsa_dir) if tsa_dir else None
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        return cls(roots[0], cert, key, id_hash_secret, public_url=public_url, folder=folder)

    # --- issuing ---------------------------------------------------------------------
    def id_fingerprint(self, id_number: str) -> str:
        """Keyed hash of an ID number: the same person always maps to the same value,
        but the number cannot be recovered from it without the platform secret."""
        digest = hmac.new(self.id_hash_secret, id_number.strip().upper().encode(),
                          hashlib.sha256).hexdigest()
        return digest[:24]

    def issue_signer(self, identity: SignerIdentity, *, now: datetime | None = None,
                     valid_for: timedelta = SIGNER_VALIDITY) -> SimpleSigner:
        """A one-use pyHanko signer with a fresh key and a certificate naming ``identity``."""
        now = now or datetime.now(UTC)
        key = ec.generate_private_key(ec.SECP256R1())
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, identity.name)]
        if identity.id_number:
            # serialNumber is a PrintableString, which has no "*": mask with "x" instead.
            masked = mask_id_number(identity.id_number).replace("*", "x")
            serial = f"{masked}-{self.id_fingerprint(identity.id_number)}"
            attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
        if identity.operator:
            attrs.append(x509.NameAttribute(NameOID.TITLE, f"用印人 {identity.operator}"))
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, identity.role))
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                        identity.organisation or PLATFORM_NAME))
        attrs.append(x509.NameAttribute(NameOID.USER_ID, identity.signer_key[:64] or "-"))
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(attrs))
            .issuer_name(self.issuing_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + valid_for)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signing=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.issuing_cert.public_key()), critical=False)  # type: ignore[arg-type]
        )
        cert = self._with_crl_point(builder, ISSUING_CRL_PATH).sign(
            self.issuing_key, hashes.SHA256())  # type: ignore[arg-type]
        return SimpleSigner(
            signing_cert=to_asn1(cert),
            signing_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption())),
            cert_registry=SimpleCertificateStore.from_certs(
                [to_asn1(self.issuing_cert), to_asn1(self.root_cert)]),
        )

    def issue_tsa(self, *, now: datetime | None = None) -> tuple[asn1_x509.Certificate,
                                                                  asn1_keys.PrivateKeyInfo]:
        """A time-stamping certificate. Issued by the root when its key is here (development
        CA), so the last document timestamp's chain is TSA -> root and stays checkable after
        the issuing CA's CRL has expired; by the issuing CA otherwise."""
        now = now or datetime.now(UTC)
        issuer_cert, issuer_key, crl_path = (
            (self.root_cert, self.root_key, ROOT_CRL_PATH) if self.root_key is not None
            else (self.issuing_cert, self.issuing_key, ISSUING_CRL_PATH))
        # RSA because pyHanko's built-in time-stamp responder only signs with RSA.
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([
                x509.NameAttribute(NameOID.COMMON_NAME, PLATFORM_NAME + " 时间戳服务"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, PLATFORM_NAME)]))
            .issuer_name(issuer_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(min(now + timedelta(days=3650), issuer_cert.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                           critical=True)
            .add_extension(_key_usage(signing=True), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_cert.public_key()), critical=False)  # type: ignore[arg-type]
        )
        cert = self._with_crl_point(builder, crl_path).sign(
            issuer_key, hashes.SHA256())  # type: ignore[arg-type]
        return to_asn1(cert), asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))

    def time_stamping_authority(self) -> tuple[asn1_x509.Certificate,
                                               asn1_keys.PrivateKeyInfo]:
        """The platform TSA's certificate and key: made once (kept in the PKI folder when
        there is one), so every timestamp of this installation chains to the same cert."""
        if self._tsa is not None:
            return self._tsa
        folder = self.folder
        if folder is not None and (folder / TSA_FILE).is_file() \
                and (folder / TSA_KEY_FILE).is_file():
            cert = x509.load_pem_x509_certificate((folder / TSA_FILE).read_bytes())
            key = serialization.load_pem_private_key((folder / TSA_KEY_FILE).read_bytes(), None)
            if cert.issuer in (self.issuing_cert.subject, self.root_cert.subject):
                self._tsa = (to_asn1(cert), asn1_keys.PrivateKeyInfo.load(key.private_bytes(
                    serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption())))
                return self._tsa
        cert_asn1, key_asn1 = self.issue_tsa()
        if folder is not None:
            _write(folder / TSA_FILE, pem_armor("CERTIFICATE", cert_asn1.dump()))
            _write(folder / TSA_KEY_FILE, pem_armor("PRIVATE KEY", key_asn1.dump()),
                   private=True)
        self._tsa = (cert_asn1, key_asn1)
        return self._tsa

    # --- revocation ----------------------------------------------------------------------
    def crls(self, *, now: datetime | None = None) -> list[bytes]:
        """Current CRLs (DER) this installation can sign: the issuing CA's always, the
        root's when the root key is here (development CA). Nothing is revoked: signer keys
        are destroyed after one use; the lists prove that at the time they were issued."""
        out = [self.issuing_crl(now=now)]
        root = self.root_crl(now=now)
        if root is not None:
            out.append(root)
        return out

    def issuing_crl(self, *, now: datetime | None = None) -> bytes:
        return _crl(self.issuing_cert, self.issuing_key, now or datetime.now(UTC),
                    CRL_VALIDITY)

    def root_crl(self, *, now: datetime | None = None) -> bytes | None:
        if self.root_key is None:
            return None
        return _crl(self.root_cert, self.root_key, now or datetime.now(UTC), ARL_VALIDITY)

    @property
    def revocation_complete(self) -> bool:
        """True when ``crls()`` covers every CA certificate in the chain (no fetching)."""
        return self.root_key is not None or self.issuing_cert.issuer == self.issuing_cert.subject

    def root_pem(self) -> bytes:
        return self.root_cert.public_bytes(serialization.Encoding.PEM)

    def _with_crl_point(self, builder: x509.CertificateBuilder, path: str
                        ) -> x509.CertificateBuilder:
        if not self.public_url:
            return builder
        url = self.public_url.rstrip("/") + path
        point = x509.DistributionPoint(full_name=[x509.UniformResourceIdentifier(url)],
                                       relative_name=None, reasons=None, crl_issuer=None)
        return builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)

    @property
    def trust_root(self) -> asn1_x509.Certificate:
        return to_asn1(self.root_cert)

    @property
    def intermediates(self) -> list[asn1_x509.Certificate]:
        return [to_asn1(self.issuing_cert)]


def pem_armor(label: str, der: bytes) -> bytes:
    import base64
    import textwrap

    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n".encode()


def _crl(issuer: x509.Certificate, key: object, now: datetime, validity: timedelta) -> bytes:
    this_update = now.replace(microsecond=0)
    number = int(this_update.timestamp())
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(this_update)
        .next_update(min(this_update + validity, issuer.not_valid_after_utc))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer.public_key()), critical=False)  # type: ignore[arg-type]
        .sign(key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return crl.public_bytes(serialization.Encoding.DER)


def mask_id_number(id_number: str) -> str:
    """110101199001011234 -> 110***********1234: enough to tell people apart on screen."""
    text = id_number.strip()
    if len(text) <= 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _key_usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing, content_commitment=signing, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=not signing,
        crl_sign=not signing, encipher_only=False, decipher_only=False)


def _create_dev_ca(folder: Path, name: str) -> None:
    now = datetime.now(UTC)
    root_key = ec.generate_private_key(ec.SECP384R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name + " 根证书（开发）"),
                           x509.NameAttribute(NameOID.ORGANIZATION_NAME, name)])
    root = (
        x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
        .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=7300))
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_key_usage(signing=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()),
                       critical=False)
        .sign(root_key, hashes.SHA384())
    )
    issuing_key = ec.generate_private_key(ec.SECP256R1())
    issuing = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name + " 签名证书颁发"),
                                 x509.NameAttribute(NameOID.ORGANIZATION_NAME, name)]))
        .issuer_name(root_name).public_key(issuing_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signing=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(issuing_key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA384())
    )
    _write(folder / ROOT_FILE, root.public_bytes(serialization.Encoding.PEM))
    _write(folder / ISSUING_FILE, issuing.public_bytes(serialization.Encoding.PEM))
    for path, key in ((folder / ROOT_KEY_FILE, root_key), (folder / ISSUING_KEY_FILE,
                                                           issuing_key)):
        _write(path, key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()), private=True)


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    # Create with restrictive permissions from the start rather than chmod afterwards.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
