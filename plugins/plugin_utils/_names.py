# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""Host name matching for certificates (RFC 6125 section 6.4): pure functions, standard library only.

Names are compared label by label in their A-label form, lower case, a single trailing dot dropped.
A wildcard counts only when it is the whole left-most label and stands for exactly one label; any
other ``*`` makes the presented name match nothing. A wildcard also needs at least two labels to
its right (``*.com`` matches nothing), the usual rule of browsers and the CA/Browser Forum.
"""

from __future__ import annotations

from encodings import idna as _idna


class CoverageInputError(ValueError):
    """Input that is not a certificate record, a name or a list of names (the filter turns it into AnsibleFilterError)."""


RECORD_NAME_KEYS = ("subject_alt_name", "SubjectAltName")
RECORD_DOMAIN_KEYS = ("domain", "Domain")


def _a_label(label: str) -> str:
    """One label as its lower-case A-label; text that IDNA refuses is compared as lower-case text."""
    try:
        # ToASCII (IDNA 2003, the stdlib codec) nameprep-maps U-labels (case folding included) and
        # leaves ASCII labels alone apart from a length check.
        return _idna.ToASCII(label).decode("ascii").lower()
    except (UnicodeError, ValueError):
        return label.lower()


def normalise(name: str) -> list[str] | None:
    """Labels of ``name`` in comparison form, or None when it is not a usable DNS name.

    Surrounding white space and one trailing dot are ignored; an empty label makes the name unusable.
    """
    text = name.strip()
    if text.endswith("."):
        text = text[:-1]
    if not text:
        return None
    labels = text.split(".")
    if any(not label for label in labels):
        return None
    return [label if label == "*" else _a_label(label) for label in labels]


def matches(presented: str, host: str) -> bool:
    """Whether the certificate name ``presented`` covers the reference host name ``host``."""
    pattern, reference = normalise(presented), normalise(host)
    if pattern is None or reference is None:
        return False
    head, rest = pattern[0], pattern[1:]
    if any("*" in label for label in rest):
        return False
    if head == "*":
        # Exactly one label, and never a bare public suffix such as "*.com".
        return len(pattern) >= 3 and len(reference) == len(pattern) and reference[1:] == rest
    if "*" in head:
        # Partial-label wildcards ("f*.example.com", "*x.example.com") are not honoured (RFC 6125 allows refusing them).
        return False
    return pattern == reference


def names_of(value) -> list[str]:
    """The names a value presents: a record's SANs (else its domain), a list of names, or one name."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _record_names(value)
    if isinstance(value, (list, tuple)):
        for item in value:
            if not isinstance(item, str):
                raise CoverageInputError("a list of certificate names must hold only strings, found %s" % type(item).__name__)
        return list(value)
    raise CoverageInputError("expected a certificate record (dict), a list of names or a name, got %s" % type(value).__name__)


def _record_names(record: dict) -> list[str]:
    present = [key for key in RECORD_NAME_KEYS + RECORD_DOMAIN_KEYS if key in record]
    if not present:
        raise CoverageInputError(
            "the dict has none of subject_alt_name, SubjectAltName, domain or Domain; pass one certificate record "
            "(an element of the module's certificates list or a lookup result), not a whole task result"
        )
    for key in RECORD_NAME_KEYS:
        sans = record.get(key)
        if sans:
            if not isinstance(sans, (list, tuple)) or not all(isinstance(name, str) for name in sans):
                raise CoverageInputError("%s must be a list of strings, got %s" % (key, type(sans).__name__))
            return list(sans)
    for key in RECORD_DOMAIN_KEYS:
        domain = record.get(key)
        if isinstance(domain, str) and domain:
            return [domain]
    # A record the API returned without any name (all nulls) covers nothing.
    return []


def hosts_of(hosts) -> list[str]:
    """The host names to check: one string or a non-empty list of non-empty strings."""
    items = [hosts] if isinstance(hosts, str) else hosts
    if not isinstance(items, (list, tuple)):
        raise CoverageInputError("hosts must be a host name or a list of host names, got %s" % type(hosts).__name__)
    if not items:
        # Refused rather than vacuously true: an empty host list usually means an empty group or a typo,
        # and "covers nothing asked" must not pass an assert silently.
        raise CoverageInputError("hosts is an empty list; give at least one host name")
    for item in items:
        if not isinstance(item, str) or not item.strip() or normalise(item) is None:
            raise CoverageInputError("%r is not a host name" % (item,))
    return list(items)


def covers(value, hosts) -> bool:
    """True when every host in ``hosts`` is matched by at least one name that ``value`` presents."""
    names = names_of(value)
    wanted = hosts_of(hosts)
    return all(any(matches(name, host) for name in names) for host in wanted)


def covers_in_template(value, hosts) -> bool:
    """covers() for the filter and the test plugin: bad input fails the template with the reason."""
    # Imported here: everything above is pure and runs without Ansible.
    from ansible.errors import AnsibleFilterError

    try:
        return covers(value, hosts)
    except CoverageInputError as error:
        raise AnsibleFilterError("cloudcert.tencent.covers: %s" % error) from None
