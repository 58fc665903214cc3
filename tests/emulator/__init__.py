"""Local, stdlib-only emulator of the Tencent Cloud SSL Certificate API (ssl 2019-12-05) and of STS's AssumeRole and
AssumeRoleWithWebIdentity (sts 2018-08-13) for tests and demos.

It verifies TC3-HMAC-SHA256 signatures with its own code, never with ``plugins/``, so it is an
independent check of the collection.
"""

from __future__ import annotations

from .actions import MAX_CERT_IDS, MAX_LIMIT
from .api import API_VERSION, MAX_SKEW, SERVICE
from .emulator import DEFAULT_METADATA_ROLE, Emulator
from .faults import FAULT_KINDS
from .fixtures import FIXTURE_EXPIRY_DAYS, FIXTURE_IDS, KEY_PASSWORD, OWNER_UIN, beijing_time, expected_not_after, not_after
from .keys import (
    DEMO_SECRET_ID,
    DEMO_SECRET_KEY,
    DENIED_SECRET_ID,
    DENIED_SECRET_KEY,
    READONLY_SECRET_ID,
    READONLY_SECRET_KEY,
    TEMP_SECRET_ID,
    TEMP_SECRET_KEY,
    TEMP_TOKEN,
)
from .sts import PARTNER_EXTERNAL_ID, PROVIDER_ID, ROLE_NOBODY, ROLE_PARTNER, ROLE_POD, ROLE_READER, WEB_IDENTITY_TOKEN

__all__ = [
    "API_VERSION",
    "DEFAULT_METADATA_ROLE",
    "DEMO_SECRET_ID",
    "DEMO_SECRET_KEY",
    "DENIED_SECRET_ID",
    "DENIED_SECRET_KEY",
    "Emulator",
    "FAULT_KINDS",
    "FIXTURE_EXPIRY_DAYS",
    "FIXTURE_IDS",
    "KEY_PASSWORD",
    "MAX_CERT_IDS",
    "MAX_LIMIT",
    "MAX_SKEW",
    "OWNER_UIN",
    "PARTNER_EXTERNAL_ID",
    "PROVIDER_ID",
    "READONLY_SECRET_ID",
    "READONLY_SECRET_KEY",
    "ROLE_NOBODY",
    "ROLE_PARTNER",
    "ROLE_POD",
    "ROLE_READER",
    "SERVICE",
    "TEMP_SECRET_ID",
    "TEMP_SECRET_KEY",
    "TEMP_TOKEN",
    "WEB_IDENTITY_TOKEN",
    "beijing_time",
    "expected_not_after",
    "not_after",
]
