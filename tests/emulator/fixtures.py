"""Fixture certificates served by the emulator.

Times are computed from the emulator's start time so that "expires in 12 days" stays true
whenever the demo runs. Every not-after lies on a UTC day boundary minus one second, the way
TrustAsia issues certificates, so ``days_to_expiry`` is stable for the whole UTC day.
"""

from __future__ import annotations

import copy
import datetime
import json

from .material import DETAIL_ONLY_FIELDS, ensure_material, plan_material

BEIJING = datetime.timezone(datetime.timedelta(hours=8))
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

KEY_PASSWORD = "emulator-key-password-S3cr3t!"
OWNER_UIN = "100012345678"

FIXTURE_IDS = (
    "NoRm0001",
    "SoOn0002",
    "ExPd0003",
    "WiLd0004",
    "NuLl0005",
    "KeYp0006",
    "CaCe0007",
    "UnIc0008",
    "BaDt0009",
)

# Days from the emulator's start to each dated named fixture's not-after (see expected_not_after).
FIXTURE_EXPIRY_DAYS = {
    "NoRm0001": 200,
    "SoOn0002": 12,
    "ExPd0003": -30,
    "WiLd0004": 75,
    "KeYp0006": 45,
    "CaCe0007": 3 * 365,
    "UnIc0008": 60,
}

# Field set of DescribeCertificate (reference §3.2), in documented order.
DESCRIBE_FIELDS = (
    "OwnerUin",
    "ProjectId",
    "From",
    "CertificateType",
    "PackageType",
    "ProductZhName",
    "Domain",
    "Alias",
    "Status",
    "StatusMsg",
    "VerifyType",
    "VulnerabilityStatus",
    "CertBeginTime",
    "CertEndTime",
    "ValidityPeriod",
    "InsertTime",
    "OrderId",
    "CertificateExtra",
    "DvAuthDetail",
    "VulnerabilityReport",
    "CertificateId",
    "PackageTypeName",
    "StatusName",
    "SubjectAltName",
    "IsVip",
    "IsWildcard",
    "IsDv",
    "IsVulnerability",
    "RenewAble",
    "SubmittedData",
    "Deployable",
    "Tags",
    "CAEncryptAlgorithms",
    "CACommonNames",
    "CAEndTimes",
    "DvRevokeAuthDetail",
)

# Fields of a DescribeCertificates item that DescribeCertificate shares (reference §4.3).
LIST_SHARED_FIELDS = (
    "OwnerUin",
    "ProjectId",
    "From",
    "PackageType",
    "CertificateType",
    "ProductZhName",
    "Domain",
    "Alias",
    "Status",
    "CertificateExtra",
    "VulnerabilityStatus",
    "StatusMsg",
    "VerifyType",
    "CertBeginTime",
    "CertEndTime",
    "ValidityPeriod",
    "InsertTime",
    "CertificateId",
    "SubjectAltName",
    "PackageTypeName",
    "StatusName",
    "IsVip",
    "IsDv",
    "IsWildcard",
    "IsVulnerability",
    "RenewAble",
    "Deployable",
    "Tags",
    "CAEncryptAlgorithms",
    "CAEndTimes",
    "CACommonNames",
)

# Fields only a DescribeCertificates item has (reference §4.3).
LIST_EXTRA_FIELDS = (
    "ProjectInfo",
    "BoundResource",
    "IsIgnore",
    "IsSM",
    "EncryptAlgorithm",
    "PreAuditInfo",
    "AutoRenewFlag",
    "HostingStatus",
    "HostingCompleteTime",
    "HostingRenewCertId",
    "HasRenewOrder",
    "ReplaceOriCertIsDelete",
    "IsExpiring",
    "DVAuthDeadline",
    "ValidationPassedTime",
    "CertSANs",
    "AwaitingValidationMsg",
    "AllowDownload",
    "IsDNSPODResolve",
    "IsPackage",
    "KeyPasswordCustomFlag",
    "SupportDownloadType",
    "CertRevokedTime",
    "HostingResourceTypes",
    "HostingConfig",
    "IsHostingUploadRenewCert",
    "ServiceId",
    "ServiceStatus",
    "CertServiceBeginTime",
    "CertServiceEndTime",
    "CertServiceShareEnabled",
    "CertServiceValidCertificateCount",
)

LIST_FIELDS = LIST_SHARED_FIELDS + LIST_EXTRA_FIELDS
ALL_FIELDS = DESCRIBE_FIELDS + tuple(name for name in LIST_EXTRA_FIELDS if name not in DESCRIBE_FIELDS)

# DescribeCertificateDetail (SDK 3.1.145 models, in their order): DescribeCertificate's fields without
# PackageTypeName and the three CA* lists, plus the certificate, its private key and a few more.
DETAIL_FIELDS = (
    "OwnerUin",
    "ProjectId",
    "From",
    "CertificateType",
    "PackageType",
    "ProductZhName",
    "Domain",
    "Alias",
    "Status",
    "StatusMsg",
    "VerifyType",
    "VulnerabilityStatus",
    "CertBeginTime",
    "CertEndTime",
    "ValidityPeriod",
    "InsertTime",
    "OrderId",
    "CertificateExtra",
    "CertificatePrivateKey",
    "CertificatePublicKey",
    "DvAuthDetail",
    "VulnerabilityReport",
    "CertificateId",
    "TypeName",
    "StatusName",
    "SubjectAltName",
    "IsVip",
    "IsWildcard",
    "IsDv",
    "IsVulnerability",
    "SubmittedData",
    "RenewAble",
    "Deployable",
    "Tags",
    "RootCert",
    "EncryptCert",
    "EncryptPrivateKey",
    "CertFingerprint",
    "EncryptCertFingerprint",
    "EncryptAlgorithm",
    "DvRevokeAuthDetail",
    "CertChainInfo",
    "DomainType",
    "CertType",
    "UseCrossSignRoot",
    "HostingStatus",
)


def beijing_time(moment: datetime.datetime) -> str:
    """Render an aware datetime the way the API does: Beijing time, no zone designator."""
    return moment.astimezone(BEIJING).strftime(TIME_FORMAT)


def not_after(anchor: datetime.datetime, days: int) -> datetime.datetime:
    """Last valid second of a certificate that expires ``days`` days after ``anchor`` (23:59:59Z of that UTC day)."""
    day = anchor.astimezone(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + datetime.timedelta(days=days + 1, seconds=-1)


def expected_not_after(anchor: datetime.datetime, days: int) -> tuple[str, str]:
    """(API Beijing-time string, ISO 8601 UTC string) of a fixture expiring ``days`` after ``anchor``."""
    moment = not_after(anchor, days)
    return beijing_time(moment), moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def null_record(cert_id: str) -> dict:
    """A record whose every field is null except its id."""
    record = dict.fromkeys(ALL_FIELDS + DETAIL_ONLY_FIELDS)
    record["CertificateId"] = cert_id
    return record


def _validity(anchor: datetime.datetime, expires_in: int, validity_days: int) -> dict:
    end = not_after(anchor, expires_in)
    begin = end + datetime.timedelta(seconds=1) - datetime.timedelta(days=validity_days)
    return {
        "CertBeginTime": beijing_time(begin),
        "CertEndTime": beijing_time(end),
        "InsertTime": beijing_time(begin - datetime.timedelta(hours=1, minutes=17, seconds=23)),
        "ValidityPeriod": str(round(validity_days / 30.4)),
        "IsExpiring": 0 <= (end - anchor).total_seconds() <= 30 * 86400,
    }


def _base_record(cert_id: str, domain: str, sans: list[str], anchor: datetime.datetime, expires_in: int, validity_days: int) -> dict:
    """A realistic issued TrustAsia DV certificate; callers override what makes each fixture special."""
    record = null_record(cert_id)
    record.update(
        {
            "OwnerUin": OWNER_UIN,
            "ProjectId": "0",
            "From": "trustasia",
            "CertificateType": "SVR",
            "PackageType": "83",
            "ProductZhName": "TrustAsia C1 DV Free",
            "PackageTypeName": "TrustAsia C1 DV Free",
            "Domain": domain,
            "Alias": "",
            "Status": 1,
            "StatusMsg": None,
            "StatusName": "证书已颁发",
            "VerifyType": "DNS_AUTO",
            "VulnerabilityStatus": "INACTIVE",
            "OrderId": "%s-%s" % (cert_id, "order"),
            "VulnerabilityReport": None,
            "SubjectAltName": list(sans),
            "IsVip": False,
            "IsWildcard": False,
            "IsDv": True,
            "IsVulnerability": False,
            "RenewAble": False,
            "SubmittedData": None,
            "Deployable": True,
            "Tags": [],
            "CAEncryptAlgorithms": [],
            "CACommonNames": [],
            "CAEndTimes": [],
            "DvRevokeAuthDetail": [],
            "CertificateExtra": {
                "DomainNumber": str(len(sans)),
                "OriginCertificateId": None,
                "ReplacedBy": None,
                "ReplacedFor": None,
                "RenewOrder": None,
                "SMCert": 0,
                "CompanyType": 1,
                "ServiceRenewCertificateId": None,
                "ServiceOriginCertificateId": None,
            },
            "DvAuthDetail": {
                "DvAuthKey": None,
                "DvAuthValue": None,
                "DvAuthDomain": None,
                "DvAuthPath": None,
                "DvAuthKeySubDomain": "",
                "DvAuths": None,
            },
            "ProjectInfo": {
                "ProjectName": "Default Project",
                "ProjectCreatorUin": int(OWNER_UIN),
                "ProjectCreateTime": "0000-00-00 00:00:00",
                "ProjectResume": "default",
                "OwnerUin": int(OWNER_UIN),
                "ProjectId": "0",
            },
            "BoundResource": [],
            "IsIgnore": False,
            "IsSM": False,
            "EncryptAlgorithm": "RSA 2048",
            "PreAuditInfo": None,
            "AutoRenewFlag": 0,
            "HostingStatus": -1,
            "HostingCompleteTime": "",
            "HostingRenewCertId": "",
            "HasRenewOrder": "",
            "ReplaceOriCertIsDelete": False,
            "DVAuthDeadline": None,
            "ValidationPassedTime": "--",
            "CertSANs": list(sans),
            "AwaitingValidationMsg": None,
            "AllowDownload": True,
            "IsDNSPODResolve": False,
            "IsPackage": False,
            "KeyPasswordCustomFlag": False,
            "SupportDownloadType": {"NGINX": True, "APACHE": True, "TOMCAT": True, "IIS": True, "JKS": True, "OTHER": True, "ROOT": True},
            "CertRevokedTime": None,
            "HostingResourceTypes": [],
            "HostingConfig": None,
            "IsHostingUploadRenewCert": False,
            "ServiceId": None,
            "ServiceStatus": None,
            "CertServiceBeginTime": None,
            "CertServiceEndTime": None,
            "CertServiceShareEnabled": None,
            "CertServiceValidCertificateCount": None,
        }
    )
    record.update(_validity(anchor, expires_in, validity_days))
    return record


def _submitted_data(domain: str) -> dict:
    return {
        "CsrType": "parse",
        "CsrContent": "-----BEGIN CERTIFICATE REQUEST-----\nMIIBemulator\n-----END CERTIFICATE REQUEST-----",
        "CertificateDomain": domain,
        "DomainList": [domain],
        "KeyPassword": KEY_PASSWORD,
        "OrganizationName": "Example Ltd",
        "OrganizationDivision": "IT",
        "OrganizationAddress": "1 Example Road",
        "OrganizationCountry": "CN",
        "OrganizationCity": "Shenzhen",
        "OrganizationRegion": "Guangdong",
        "PostalCode": "518000",
        "PhoneAreaCode": "0755",
        "PhoneNumber": "12345678",
        "AdminFirstName": "Ada",
        "AdminLastName": "Admin",
        "AdminPhoneNum": "13800000000",
        "AdminEmail": "admin@example.com",
        "AdminPosition": "CTO",
        "ContactFirstName": "Carl",
        "ContactLastName": "Contact",
        "ContactNumber": "13900000000",
        "ContactEmail": "contact@example.com",
        "ContactPosition": "Engineer",
        "VerifyType": "DNS",
    }


def named_fixtures(anchor: datetime.datetime) -> list[dict]:
    """The nine named fixtures (FIXTURE_IDS), relative to ``anchor``."""
    normal = _base_record("NoRm0001", "www.example.com", ["www.example.com", "example.com"], anchor, FIXTURE_EXPIRY_DAYS["NoRm0001"], 365)
    normal.update({"Alias": "main web site", "Tags": [{"TagKey": "env", "TagValue": "prod"}], "RenewAble": False})

    soon = _base_record("SoOn0002", "api.example.com", ["api.example.com"], anchor, FIXTURE_EXPIRY_DAYS["SoOn0002"], 90)
    soon.update({"Alias": "api", "RenewAble": True})

    expired = _base_record("ExPd0003", "old.example.com", ["old.example.com"], anchor, FIXTURE_EXPIRY_DAYS["ExPd0003"], 90)
    expired.update({"Status": 3, "StatusName": "已过期", "Deployable": False, "RenewAble": True, "AllowDownload": False})

    wildcard = _base_record("WiLd0004", "*.example.com", ["*.example.com", "example.com", "*.shop.example.com"], anchor, FIXTURE_EXPIRY_DAYS["WiLd0004"], 365)
    wildcard.update(
        {"IsWildcard": True, "PackageType": "12", "ProductZhName": "TrustAsia DV wildcard", "PackageTypeName": "TrustAsia DV wildcard", "Alias": "wildcard"}
    )

    keyp = _base_record("KeYp0006", "secure.example.com", ["secure.example.com"], anchor, FIXTURE_EXPIRY_DAYS["KeYp0006"], 365)
    keyp.update(
        {
            "From": "upload",
            "PackageType": None,
            "ProductZhName": None,
            "PackageTypeName": None,
            "IsDv": False,
            "Alias": "uploaded with key password",
            "SubmittedData": _submitted_data("secure.example.com"),
            "KeyPasswordCustomFlag": True,
            "VerifyType": None,
        }
    )

    ca_end = not_after(anchor, FIXTURE_EXPIRY_DAYS["CaCe0007"])
    ca_cert = _base_record("CaCe0007", "Example Internal Root CA", [], anchor, FIXTURE_EXPIRY_DAYS["CaCe0007"], 5 * 365)
    ca_cert.update(
        {
            "CertificateType": "CA",
            "From": "upload",
            "PackageType": None,
            "ProductZhName": None,
            "PackageTypeName": None,
            "IsDv": False,
            "Alias": "internal root",
            "CAEncryptAlgorithms": ["RSA 2048"],
            "CACommonNames": ["Example Internal Root CA"],
            "CAEndTimes": [beijing_time(ca_end)],
            "VerifyType": None,
        }
    )

    unicode_cert = _base_record("UnIc0008", "bücher.example", ["bücher.example", "xn--fiqs8s.example"], anchor, FIXTURE_EXPIRY_DAYS["UnIc0008"], 90)
    unicode_cert.update({"Alias": "生产环境证书 — ünïcödé ✓", "StatusName": "已颁发"})

    bad_times = _base_record("BaDt0009", "odd.example.com", ["odd.example.com"], anchor, 100, 365)
    bad_times.update(
        {"CertBeginTime": "0000-00-00 00:00:00", "CertEndTime": "2024-11-06 08:00:0", "InsertTime": "--", "IsExpiring": None, "Alias": "odd times"}
    )

    return [normal, soon, expired, wildcard, null_record("NuLl0005"), keyp, ca_cert, unicode_cert, bad_times]


_GENERATED_STATUSES = (1, 1, 1, 0, 4, 1, 10, 1)


def generated_fixtures(anchor: datetime.datetime, count: int) -> list[dict]:
    """``count`` synthetic certificates G0000001..., with spread-out expiry (-30..+365 days) and statuses."""
    records = []
    for number in range(1, count + 1):
        expires_in = -30 + (number * 37) % 396
        domain = "host-%d.gen.example.com" % number
        record = _base_record("G%07d" % number, domain, [domain], anchor, expires_in, 90 if number % 2 else 365)
        status = 3 if expires_in < 0 else _GENERATED_STATUSES[number % len(_GENERATED_STATUSES)]
        record.update({"Status": status, "Alias": "generated %d" % number, "StatusName": "status %d" % status})
        records.append(record)
    return records


def load_fixture_file(path: str) -> list[dict]:
    """Read a JSON list of certificate records; each must at least carry a string CertificateId."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, list) or not all(isinstance(item, dict) and isinstance(item.get("CertificateId"), str) for item in data):
        raise ValueError("%s must hold a JSON list of objects that each have a string CertificateId" % path)
    return data


def build_certificates(anchor: datetime.datetime, generate: int = 0, extra: list[dict] | None = None) -> dict[str, dict]:
    """All records by id: named fixtures, generated ones, then ``extra`` merged by CertificateId.

    An extra record for an existing id overrides the given fields; a new id starts from an all-null record,
    so a fixture file yields exactly what it states.
    """
    certificates = {record["CertificateId"]: record for record in named_fixtures(anchor) + generated_fixtures(anchor, generate)}
    add_material(certificates)
    for item in extra or []:
        record = certificates.setdefault(item["CertificateId"], null_record(item["CertificateId"]))
        record.update(copy.deepcopy(item))
    return certificates


def add_material(certificates: dict[str, dict]) -> None:
    """Plan real certificates and keys for DescribeCertificateDetail (made on first use, see material.py).

    NuLl0005 has none (null, as under review); BaDt0009 ("odd") gets a leaf that is not base64, its
    issuer and a garbage block after it, and still a real private key; every tenth generated
    certificate is an SM certificate with an EncryptPrivateKey.
    """
    for cert_id, record in certificates.items():
        if cert_id == "NuLl0005":
            continue
        sm = cert_id.startswith("G") and cert_id[1:].isdigit() and int(cert_id[1:]) % 10 == 0
        if sm:
            record.update({"IsSM": True, "EncryptAlgorithm": "SM2"})
            record["CertificateExtra"] = dict(record["CertificateExtra"] or {}, SMCert=1)
        plan_material(record, sm=sm, damaged=cert_id == "BaDt0009")


def detail_view(record: dict) -> dict:
    """The DescribeCertificateDetail answer fields of a record (a deep copy)."""
    ensure_material(record)
    return {name: copy.deepcopy(record.get(name)) for name in DETAIL_FIELDS}


def describe_view(record: dict) -> dict:
    """The DescribeCertificate answer fields of a record (a deep copy)."""
    return {name: copy.deepcopy(record.get(name)) for name in DESCRIBE_FIELDS}


def list_view(record: dict) -> dict:
    """The DescribeCertificates item fields of a record (a deep copy)."""
    return {name: copy.deepcopy(record.get(name)) for name in LIST_FIELDS}
