# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""A Tencent Cloud API 3.0 client for any service: signed JSON POSTs, the answer envelope, retries, and the
machine-wide rate limit, over the paced transport of ``_transport.py``.

A service is its facts (``_ssl.SSL``: name, version, default endpoint, actions, answer filter); ``connect()``
assembles a client for one. The client raises the collection's errors and never prints: front ends decide what
a person sees. It knows nothing of Ansible beyond running on a target (no controller imports).
"""

from __future__ import annotations

import json
import re
import threading
import time
from urllib.parse import urlsplit

from ansible_collections.cloudcert.tencent.plugins.module_utils import _signer
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ApiError, ConfigurationError, TransportError
from ansible_collections.cloudcert.tencent.plugins.module_utils._ratelimit import LOADED_MARGIN, SharedRateLimiter
from ansible_collections.cloudcert.tencent.plugins.module_utils._retry import DEFAULT_THROTTLE_TIMEOUT, call_with_retries, is_throttling
from ansible_collections.cloudcert.tencent.plugins.module_utils._transport import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, Transport

__all__ = ["HAS_REQUESTS", "REQUESTS_IMPORT_ERROR", "ApiClient", "connect", "parse_endpoint", "parse_envelope"]

COLLECTION_VERSION = "0.1.0"
REQUEST_CLIENT = "ANSIBLE_CLOUDCERT_TENCENT_%s" % COLLECTION_VERSION

_HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$|^\[[0-9a-f:.]+\]$")


def parse_endpoint(endpoint: str, *, name: str = "endpoint") -> tuple[str, str]:
    """Return (URL to POST to, Host header) for a bare host or a full ``http(s)://`` URL.

    The Host header is signed, so it must be exactly what goes on the wire: lower case, with the
    port only when the endpoint names one.
    """
    text = (endpoint or "").strip()
    if not text:
        raise ConfigurationError(name + ": must not be empty; use a host such as ssl.tencentcloudapi.com or a URL such as https://ssl.tencentcloudapi.com")
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigurationError(name + ": %r is not a valid host or URL (%s)" % (endpoint, exc)) from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https"):
        raise ConfigurationError(name + ": scheme %r is not supported in %r; use https:// (or http:// for a local emulator)" % (parts.scheme, endpoint))
    if not host or " " in text or not _HOST_RE.match(host if ":" not in host else "[%s]" % host):
        raise ConfigurationError(name + ": %r has no valid host name" % (endpoint,))
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError(name + ": %r must be a host or a base URL without path, query or credentials (the API is always served at /)" % (endpoint,))
    netloc_host = "[%s]" % host if ":" in host else host
    netloc = netloc_host if port is None else "%s:%d" % (netloc_host, port)
    return "%s://%s/" % (parts.scheme, netloc), netloc


def _html_title(text: str) -> str | None:
    match = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    return " ".join(match.group(1).split())[:120] if match else None


def _describe_body(text: str, action: str | None = None, *, secret_bearing: bool = False) -> str:
    """A short, safe summary of an unusable response body for error messages."""
    if secret_bearing:
        return "a body of %d characters (not quoted: %s answers hold private keys)" % (len(text), action)
    title = _html_title(text)
    if title:
        return "an HTML page (%s)" % title
    snippet = " ".join(text.split())[:80]
    return "%r" % snippet if snippet else "an empty body"


def parse_envelope(*, status: int, body: bytes, action: str, service=None) -> dict:
    """Turn one HTTP answer of SERVICE's ACTION into the ``Response`` object, or raise ApiError/TransportError.

    No byte of an unusable answer of a secret-bearing action is ever quoted, whole or cut; the service's
    ``response_filter(data)`` sees the decoded answer before anything else does (the SSL service drops private keys
    there). Without a service, nothing is filtered and short quotes are allowed.
    """
    entry = service.actions.get(action) if service is not None else None
    secret_bearing = bool(entry and entry.secret_bearing)
    response_filter = service.response_filter if service is not None else None
    text = body.decode("utf-8", errors="replace")
    if status != 200:
        raise TransportError(
            "the endpoint answered HTTP %d with %s; a gateway or network problem, not an API answer"
            % (status, _describe_body(text, action, secret_bearing=secret_bearing)),
            action=action,
        )
    try:
        data = json.loads(text)
    except ValueError:
        raise TransportError(
            "the endpoint answered HTTP 200 with a body that is not valid JSON (%s); it may be truncated or come from a proxy"
            % _describe_body(text, action, secret_bearing=secret_bearing),
            action=action,
        ) from None
    if response_filter is not None:
        data = response_filter(data)
    response = data.get("Response") if isinstance(data, dict) else None
    if not isinstance(response, dict):
        raise TransportError("the endpoint answered JSON without a 'Response' object; is the endpoint really a Tencent Cloud API?", action=action)
    error = response.get("Error")
    request_id = response.get("RequestId") if isinstance(response.get("RequestId"), str) else None
    if error is not None:
        code = error.get("Code") if isinstance(error, dict) else None
        message = error.get("Message") if isinstance(error, dict) else None
        failure = ApiError(str(code or "UnknownError"), str(message or "no message"), request_id, action=action)
        failure.permission = entry.permission if entry is not None else None  # what CAM advice names
        raise failure
    return response


class ApiClient:
    """Calls the actions of one service: signing, the envelope, retries with backoff, and the limiter's feedback.

    ``transport`` sends the bytes (paced by ``limiter``, which it was built with); ``note(text)`` receives
    diagnostics meant for high verbosity only (never a secret).
    """

    def __init__(
        self,
        *,
        service,
        credentials,
        transport: Transport,
        limiter: SharedRateLimiter,
        region: str | None = None,
        language: str = "en-US",
        retries: int = 5,
        throttle_timeout: float = DEFAULT_THROTTLE_TIMEOUT,
        warn=None,
        note=None,
        clock=time.time,
        monotonic=time.monotonic,
        sleep=time.sleep,
    ) -> None:
        self.service = service
        self.credentials = credentials
        self.transport = transport
        self.limiter = limiter
        self.region = region or None
        self.language = language
        self.retries = retries
        self.throttle_timeout = throttle_timeout
        self.warn = warn
        self.note = note
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._calls = 0
        self._calls_lock = threading.Lock()

    url = property(lambda self: self.transport.url)
    host = property(lambda self: self.transport.host)
    timeout = property(lambda self: self.transport.timeout)
    rate_limit = property(lambda self: self.limiter.rate)

    @property
    def api_calls(self) -> int:
        """HTTP requests sent so far (retries included)."""
        return self._calls

    def close(self) -> None:
        self.transport.close()

    def _signed(self, action: str) -> bool:
        entry = self.service.actions.get(action)
        return entry is None or entry.signed

    def _headers(self, *, action: str, payload: bytes, credential, timestamp: int) -> dict:
        if credential is None:
            # An unsigned action (STS's AssumeRoleWithWebIdentity): the API wants exactly this, and no token.
            headers = {"Content-Type": _signer.CONTENT_TYPE_JSON, "Host": self.host, "Authorization": "SKIP"}
        else:
            headers = _signer.sign_json_post(
                secret_id=credential.secret_id,
                secret_key=credential.secret_key,
                service=self.service.name,
                host=self.host,
                timestamp=timestamp,
                payload=payload,
            )
        headers.update(
            {
                "X-TC-Action": action,
                "X-TC-Version": self.service.version,
                "X-TC-Timestamp": str(timestamp),
                "X-TC-Language": self.language,
                "X-TC-RequestClient": REQUEST_CLIENT,
            }
        )
        if credential is not None and credential.token:
            headers["X-TC-Token"] = credential.token
        if self.region:
            headers["X-TC-Region"] = self.region
        return headers

    def _send_once(self, action: str, payload: bytes) -> dict:
        credential = self.credentials.get() if self._signed(action) else None
        # The rate-limit wait happens later, in the connection right before writing (_transport.py); it is at
        # most a few seconds, far inside the API's 5-minute tolerance for the signed timestamp.
        headers = self._headers(action=action, payload=payload, credential=credential, timestamp=int(self._clock()))
        with self._calls_lock:
            self._calls += 1
        status, body = self.transport.post(payload, headers, action=action)
        try:
            response = parse_envelope(status=status, body=body, action=action, service=self.service)
        except ApiError as error:
            # Every process of the machine slows down on throttling and speeds up again on answers.
            (self.limiter.throttled if is_throttling(error) else self.limiter.answered)(action)
            raise
        self.limiter.answered(action)
        return response

    def _send_healing(self, action: str, payload: bytes) -> dict:
        """One logical attempt; temporary keys that the API calls stale are fetched anew once.

        No other authentication failure is repeated: a wrong key or a wrong clock stays wrong, and a
        request is signed at most a few seconds before it leaves, far inside the 5-minute tolerance.
        """
        try:
            return self._send_once(action, payload)
        except ApiError as error:
            if error.code == "AuthFailure.TokenFailure" and self.credentials.refreshable and self._signed(action):
                self.credentials.refresh()
                return self._send_once(action, payload)
            raise

    def call(self, action: str, params: dict) -> dict:
        """Call ``action`` with ``params``; return the ``Response`` object (with ``RequestId``)."""
        # Compact, ASCII-only JSON: these exact bytes are hashed into the signature and sent.
        payload = json.dumps(params, separators=(",", ":"), sort_keys=True).encode("ascii")
        if self._signed(action):
            # Credentials first, outside the retries: a source that fails (an STS error, a broken profile) fails once,
            # with its own retries already spent, instead of once per attempt of this call.
            self.credentials.get()
        return call_with_retries(
            lambda: self._send_healing(action, payload),
            retries=self.retries,
            throttle_timeout=self.throttle_timeout,
            warn=self.warn,
            note=self.note,
            sleep=self._sleep,
            clock=self._monotonic,
            describe=action,
        )


def connect(
    service,
    *,
    credentials,
    endpoint: str | None = None,
    timeout: float = 15.0,
    validate_certs: bool = True,
    ca_path: str | None = None,
    rate_limit: float = 10.0,
    rate_limit_dir: str | None = None,
    shared_rate_limit: bool = True,
    note=None,
    **client_options,
) -> ApiClient:
    """A client of SERVICE: the machine-wide limiter (scoped by ``credentials.identity``), the transport it paces,
    and the client over both. ``rate_limit_dir`` is where the limiter keeps its state (default: the user's runtime
    directory, see ``_ratelimit.default_state_dir``); ``shared_rate_limit=False`` paces this client alone. The other
    options are ApiClient's."""
    url, host = parse_endpoint(endpoint or service.default_endpoint)
    rates = {name: action.rate for name, action in service.actions.items() if action.rate}
    limiter = SharedRateLimiter(
        rate_limit,
        rates=rates,
        host=host,
        scope=lambda: credentials.identity,
        directory=rate_limit_dir,
        shared=shared_rate_limit,
        note=note,
        loaded_margin=LOADED_MARGIN,
    )
    transport = Transport(url=url, host=host, limiter=limiter, timeout=timeout, validate_certs=validate_certs, ca_path=ca_path)
    return ApiClient(service=service, credentials=credentials, transport=transport, limiter=limiter, note=note, **client_options)
