"""Real certificates and private keys for DescribeCertificateDetail, made fresh at every emulator start.

A throw-away root and issuing CA sign one leaf per certificate record, with the record's names and
validity, so fingerprints can be checked with openssl and the private keys are known to the tests
that prove they never leak. Needs ``cryptography`` (ansible-core depends on it, so every Python that
runs Ansible has it). EC P-256 keys keep a start with a thousand certificates well under a second;
SM2 is not available in ``cryptography``, so the SM fixtures use P-256 keys in SM-shaped fields.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

BEIJING = datetime.timezone(datetime.timedelta(hours=8))
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# Fields DescribeCertificateDetail has and DescribeCertificate has not (SDK 3.1.145 models).
DETAIL_ONLY_FIELDS = (
    "CertificatePrivateKey",
    "CertificatePublicKey",
    "TypeName",
    "RootCert",
    "EncryptCert",
    "EncryptPrivateKey",
    "CertFingerprint",
    "EncryptCertFingerprint",
    "EncryptAlgorithm",
    "CertChainInfo",
    "DomainType",
    "CertType",
    "UseCrossSignRoot",
    "HostingStatus",
)

# The bad-data cases a test can put on any certificate (emu.set_certificate(id, fields=...)).
GARBAGE_BLOCK = "-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
NOT_BASE64_BLOCK = "-----BEGIN CERTIFICATE-----\n!!odd certificate: not base64!!\n-----END CERTIFICATE-----\n"


def _dn(common_name: str) -> str:
    return "CN=%s,O=cloudcert emulator" % common_name


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cloudcert emulator"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key, password: str | None = None) -> str:
    """PKCS#8 PEM of ``key``, encrypted with ``password`` when given (an uploaded key with a password)."""
    encryption = serialization.BestAvailableEncryption(password.encode("utf-8")) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption).decode("ascii")


def cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def sha1_hex(cert: x509.Certificate) -> str:
    return hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()


def _utc(cert: x509.Certificate, name: str) -> datetime.datetime:
    """An aware validity bound on every cryptography version (the *_utc properties arrived in 42)."""
    value = getattr(cert, name + "_utc", None)
    return value if value is not None else getattr(cert, name).replace(tzinfo=datetime.timezone.utc)


def _basic_info(cert: x509.Certificate, subject: str, issuer: str) -> dict:
    """A CertBasicInfo object (CertChainInfo item); names given as strings (rfc4514_string is slow)."""
    return {
        "Issuer": issuer,
        "Subject": subject,
        "Fingerprint": sha1_hex(cert),
        "ValidFrom": _utc(cert, "not_valid_before").astimezone(BEIJING).strftime(TIME_FORMAT),
        "ValidTo": _utc(cert, "not_valid_after").astimezone(BEIJING).strftime(TIME_FORMAT),
    }


def _build(subject: str, key, issuer: x509.Name, issuer_key, begin, end, *, ca: bool, names: list[str] = ()) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(begin)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in names]), critical=False)
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


class Authority:
    """A root and an issuing CA, valid around ``anchor``; one per emulator."""

    def __init__(self, anchor: datetime.datetime) -> None:
        begin, end = anchor - datetime.timedelta(days=3650), anchor + datetime.timedelta(days=3650)
        self.root_key = _key()
        self.root = _build("cloudcert emulator Root CA", self.root_key, _name("cloudcert emulator Root CA"), self.root_key, begin, end, ca=True)
        self.issuer_key = _key()
        self.issuer = _build("cloudcert emulator TLS CA", self.issuer_key, self.root.subject, self.root_key, begin, end, ca=True)
        # Encoded once: every leaf's answer repeats them.
        self.root_pem, self.issuer_pem = cert_pem(self.root), cert_pem(self.issuer)
        root_dn = _dn("cloudcert emulator Root CA")
        self.issuer_dn = _dn("cloudcert emulator TLS CA")
        self.chain_info = [_basic_info(self.issuer, self.issuer_dn, root_dn), _basic_info(self.root, root_dn, root_dn)]

    def leaf(self, common_name: str, names: list[str], begin, end) -> tuple[x509.Certificate, object]:
        key = _key()
        return _build(common_name, key, self.issuer.subject, self.issuer_key, begin, end, ca=False, names=names), key


def _time(value, fallback: datetime.datetime) -> datetime.datetime:
    try:
        return datetime.datetime.strptime(value, TIME_FORMAT).replace(tzinfo=BEIJING).astimezone(datetime.timezone.utc)
    except (TypeError, ValueError):
        return fallback


def _a_label(name: str) -> str:
    """DNS names in certificates are ASCII: an IDN goes in as its A-label (bücher.example -> xn--bcher-kva.example)."""
    wildcard = name.startswith("*.")
    labels = (name[2:] if wildcard else name).encode("idna").decode("ascii")
    return ("*." if wildcard else "") + labels


def _domain_type(names: list[str]) -> int:
    wild = any(name.startswith("*.") for name in names)
    if len(names) <= 1:
        return 3 if wild else 1
    return 4 if wild else 2


def null_material() -> dict:
    """No certificate yet (under review, or a record the API knows nothing about): every field null."""
    return dict.fromkeys(DETAIL_ONLY_FIELDS)


def material_for(record: dict, authority: Authority, anchor: datetime.datetime, *, key_password: str | None = None, sm: bool = False) -> dict:
    """The DescribeCertificateDetail-only fields of one record, with a real certificate and key.

    The certificate carries the record's names and validity (CertBeginTime/CertEndTime, Beijing time).
    """
    begin = _time(record.get("CertBeginTime"), anchor - datetime.timedelta(days=30))
    end = _time(record.get("CertEndTime"), anchor + datetime.timedelta(days=60))
    if end <= begin:
        begin = end - datetime.timedelta(days=90)
    fields = null_material()
    # EncryptAlgorithm and HostingStatus are list fields too: keep what the record says.
    fields.update({"TypeName": record.get("PackageTypeName"), "UseCrossSignRoot": False})
    fields.update({name: record.get(name) for name in ("HostingStatus", "EncryptAlgorithm")})
    if record.get("CertificateType") == "CA":
        # An uploaded client CA: the certificate only, no key (Tencent holds none for it).
        key = _key()
        name = (record.get("CACommonNames") or [record.get("Domain") or record["CertificateId"]])[0]
        cert = _build(name, key, _name(name), key, begin, end, ca=True)
        fields.update({"CertificatePublicKey": cert_pem(cert), "CertFingerprint": sha1_hex(cert), "CertChainInfo": [_basic_info(cert, _dn(name), _dn(name))]})
        return fields
    names = [_a_label(name) for name in (record.get("SubjectAltName") or [record.get("Domain") or "%s.invalid" % record["CertificateId"].lower()])]
    common_name = names[0].replace("*", "wildcard")
    cert, key = authority.leaf(common_name, names, begin, end)
    fields.update(
        {
            "CertificatePublicKey": cert_pem(cert) + authority.issuer_pem,
            "CertificatePrivateKey": key_pem(key, key_password),
            "CertFingerprint": sha1_hex(cert),
            "RootCert": {"Sign": None, "Encrypt": None, "Standard": authority.root_pem},
            "CertChainInfo": [_basic_info(cert, _dn(common_name), authority.issuer_dn)] + authority.chain_info,
            "DomainType": _domain_type(names),
            "CertType": "DV" if record.get("IsDv") else "OV",
        }
    )
    if sm:
        encrypt_cert, encrypt_key = authority.leaf(common_name, names, begin, end)
        fields.update(
            {
                "EncryptCert": cert_pem(encrypt_cert),
                "EncryptPrivateKey": key_pem(encrypt_key),
                "EncryptCertFingerprint": sha1_hex(encrypt_cert),
                "EncryptAlgorithm": "SM2",
                "RootCert": {"Sign": authority.root_pem, "Encrypt": authority.root_pem, "Standard": None},
            }
        )
    return fields


# Certificates are made on first use, not at start: a thousand generated records would cost seconds
# on a busy machine, and most runs never ask DescribeCertificateDetail. One CA per process.
PENDING = "_material_pending"
_LOCK = threading.Lock()
_AUTHORITY: list[Authority] = []


def plan_material(record: dict, *, sm: bool = False, damaged: bool = False) -> None:
    """Mark ``record`` to get real material on first use (a plain dict: it survives deep copies)."""
    record[PENDING] = {"sm": sm, "damaged": damaged}


def authority() -> Authority:
    with _LOCK:
        if not _AUTHORITY:
            _AUTHORITY.append(Authority(datetime.datetime.now(datetime.timezone.utc)))
        return _AUTHORITY[0]


def ensure_material(record: dict) -> dict:
    """Make the planned material of ``record`` now (once; thread-safe); returns ``record``.

    Views pick fields by name, so the plan marker itself is never served.
    """
    ca = authority()
    with _LOCK:
        plan = record.get(PENDING)
        if plan is None:
            return record
        submitted = record.get("SubmittedData")
        password = submitted.get("KeyPassword") if isinstance(submitted, dict) else None
        fields = material_for(record, ca, datetime.datetime.now(datetime.timezone.utc), key_password=password, sm=plan["sm"])
        if plan["damaged"]:
            fields["CertificatePublicKey"] = NOT_BASE64_BLOCK + ca.issuer_pem + GARBAGE_BLOCK
        # A value a test has set (set_certificate, a fixture file) wins over the generated one, "" included.
        record.update({name: value for name, value in fields.items() if record.get(name) is None})
        del record[PENDING]
    return record


def private_key_lines(record: dict) -> list[str]:
    """The base64 body lines of every private key a record holds (what a leak check searches for)."""
    ensure_material(record)
    lines = []
    for name in ("CertificatePrivateKey", "EncryptPrivateKey"):
        for line in (record.get(name) or "").splitlines():
            if line and not line.startswith("-----"):
                lines.append(line)
    return lines


def write_material(directory: str, certificates: dict[str, dict]) -> None:
    """Write ``<id>.crt`` (CertificatePublicKey as served) and ``<id>.key`` (its private keys) for tests.

    Owner-only files in a directory the caller owns: they hold private keys on purpose, so that a
    leak check knows exactly which bytes must never appear anywhere else.
    """
    os.makedirs(directory, mode=0o700, exist_ok=True)
    for cert_id, record in certificates.items():
        ensure_material(record)
        keys = "".join(record.get(name) or "" for name in ("CertificatePrivateKey", "EncryptPrivateKey"))
        for suffix, text in ((".crt", record.get("CertificatePublicKey")), (".key", keys)):
            if text:
                handle = os.open(os.path.join(directory, cert_id + suffix), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    stream.write(text)
