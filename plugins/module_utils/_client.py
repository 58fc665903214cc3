# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""HTTP client for the Tencent Cloud SSL API: signed JSON POSTs over one pooled ``requests`` session.

The client raises the collection's errors and never prints: front ends decide what a person sees.
It knows nothing of Ansible beyond running on a target (no controller imports).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from ansible_collections.cloudcert.tencent.plugins.module_utils import _signer
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ApiError, ConfigurationError, TransportError
from ansible_collections.cloudcert.tencent.plugins.module_utils._material import strip_private_keys
from ansible_collections.cloudcert.tencent.plugins.module_utils._ratelimit import SharedRateLimiter
from ansible_collections.cloudcert.tencent.plugins.module_utils._retry import DEFAULT_THROTTLE_TIMEOUT, call_with_retries, is_throttling

try:
    import requests
    from requests.adapters import HTTPAdapter

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by the sanity import test
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()


def _paced_pool_classes(limiter) -> dict:
    """urllib3 pool classes whose connections take the rate-limit permit right before writing a request.

    The server counts arrivals, so the permit is taken after the TCP and TLS handshakes of a new
    connection and after requests has prepared the request: a handshake of several round trips
    on the first burst cannot push those requests into the next second's window, and a busy
    machine cannot bunch more than ``rate`` arrivals into one second. Retries pass here too.
    The limit is per action, read from the ``X-TC-Action`` header the client sets.
    """
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class _Paced:
        def request(self, *args, **kwargs):
            if getattr(self, "sock", None) is None:
                self.connect()  # the pool has set the connect timeout on this connection already
            limiter.acquire(_action_of(kwargs.get("headers", args[3] if len(args) > 3 else None)))
            return super().request(*args, **kwargs)

    http_conn = type("PacedHTTPConnection", (_Paced, HTTPConnection), {})
    https_conn = type("PacedHTTPSConnection", (_Paced, HTTPSConnection), {})
    return {
        "http": type("PacedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("PacedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }


def _action_of(headers) -> str | None:
    """The X-TC-Action of a request's headers (urllib3 1.26 and 2.x pass them as given, any case)."""
    for name, value in (headers or {}).items():
        if name.lower() == "x-tc-action":
            return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
    return None


if HAS_REQUESTS:

    class _PacedAdapter(HTTPAdapter):
        """An adapter whose pools (direct and through proxies) pace requests with ``limiter``."""

        def __init__(self, limiter, **kwargs) -> None:
            self._pool_classes = _paced_pool_classes(limiter)
            super().__init__(**kwargs)

        def init_poolmanager(self, *args, **kwargs) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = self._pool_classes

        def proxy_manager_for(self, proxy, **proxy_kwargs):
            manager = super().proxy_manager_for(proxy, **proxy_kwargs)
            manager.pool_classes_by_scheme = self._pool_classes
            return manager


COLLECTION_VERSION = "0.1.0"
REQUEST_CLIENT = "ANSIBLE_CLOUDCERT_TENCENT_%s" % COLLECTION_VERSION
SERVICE = "ssl"
API_VERSION = "2019-12-05"
DEFAULT_ENDPOINT = "ssl.intl.tencentcloudapi.com"
LANGUAGES = ("en-US", "zh-CN")
MAX_WORKERS = 32

_HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$|^\[[0-9a-f:.]+\]$")


def parse_endpoint(endpoint: str) -> tuple[str, str]:
    """Return (URL to POST to, Host header) for a bare host or a full ``http(s)://`` URL.

    The Host header is signed, so it must be exactly what goes on the wire: lower case, with the
    port only when the endpoint names one.
    """
    text = (endpoint or "").strip()
    if not text:
        raise ConfigurationError("endpoint: must not be empty; use a host such as ssl.tencentcloudapi.com or a URL such as https://ssl.tencentcloudapi.com")
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigurationError("endpoint: %r is not a valid host or URL (%s)" % (endpoint, exc)) from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https"):
        raise ConfigurationError("endpoint: scheme %r is not supported in %r; use https:// (or http:// for a local emulator)" % (parts.scheme, endpoint))
    if not host or " " in text or not _HOST_RE.match(host if ":" not in host else "[%s]" % host):
        raise ConfigurationError("endpoint: %r has no valid host name" % (endpoint,))
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError("endpoint: %r must be a host or a base URL without path, query or credentials (the API is always served at /)" % (endpoint,))
    netloc_host = "[%s]" % host if ":" in host else host
    netloc = netloc_host if port is None else "%s:%d" % (netloc_host, port)
    return "%s://%s/" % (parts.scheme, netloc), netloc


def _html_title(text: str) -> str | None:
    match = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    return " ".join(match.group(1).split())[:120] if match else None


# Answers of these actions carry private keys: no byte of an unusable answer is ever quoted, whole or cut.
SECRET_BEARING_ACTIONS = frozenset({"DescribeCertificateDetail"})


def _describe_body(text: str, action: str | None = None) -> str:
    """A short, safe summary of an unusable response body for error messages."""
    if action in SECRET_BEARING_ACTIONS:
        return "a body of %d characters (not quoted: %s answers hold private keys)" % (len(text), action)
    title = _html_title(text)
    if title:
        return "an HTML page (%s)" % title
    snippet = " ".join(text.split())[:80]
    return "%r" % snippet if snippet else "an empty body"


def parse_envelope(*, status: int, body: bytes, action: str) -> dict:
    """Turn one HTTP answer into the ``Response`` object, or raise ApiError/TransportError."""
    text = body.decode("utf-8", errors="replace")
    if status != 200:
        raise TransportError(
            "the endpoint answered HTTP %d with %s; a gateway or network problem, not an API answer" % (status, _describe_body(text, action)), action=action
        )
    try:
        data = json.loads(text)
    except ValueError:
        raise TransportError(
            "the endpoint answered HTTP 200 with a body that is not valid JSON (%s); it may be truncated or come from a proxy" % _describe_body(text, action),
            action=action,
        ) from None
    # Private keys are dropped on arrival, before anything (errors, normalising, caching, warnings) sees the answer.
    response = strip_private_keys(data).get("Response") if isinstance(data, dict) else None
    if not isinstance(response, dict):
        raise TransportError("the endpoint answered JSON without a 'Response' object; is the endpoint really a Tencent Cloud API?", action=action)
    error = response.get("Error")
    request_id = response.get("RequestId") if isinstance(response.get("RequestId"), str) else None
    if error is not None:
        code = error.get("Code") if isinstance(error, dict) else None
        message = error.get("Message") if isinstance(error, dict) else None
        raise ApiError(str(code or "UnknownError"), str(message or "no message"), request_id, action=action)
    return response


class ApiClient:
    """One pooled session, signing, retries and a machine-wide rate limiter for one set of options.

    ``rate_limit_dir`` is where the machine-wide limiter keeps its state (default: the user's runtime
    directory, see ``_ratelimit.default_state_dir``); ``shared_rate_limit=False`` paces this client alone.
    ``note(text)`` receives diagnostics meant for high verbosity only (never a secret).
    """

    def __init__(
        self,
        *,
        credentials,
        endpoint: str = DEFAULT_ENDPOINT,
        region: str | None = None,
        language: str = "en-US",
        timeout: float = 15.0,
        validate_certs: bool = True,
        ca_path: str | None = None,
        retries: int = 5,
        rate_limit: float = 10.0,
        throttle_timeout: float = DEFAULT_THROTTLE_TIMEOUT,
        rate_limit_dir: str | None = None,
        shared_rate_limit: bool = True,
        warn=None,
        note=None,
        clock=time.time,
        monotonic=time.monotonic,
        sleep=time.sleep,
    ) -> None:
        self.url, self.host = parse_endpoint(endpoint)
        self.credentials = credentials
        self.region = region or None
        self.language = language
        self.timeout = timeout
        self.retries = retries
        self.rate_limit = rate_limit
        self.throttle_timeout = throttle_timeout
        self.warn = warn
        self.note = note
        self.limiter = SharedRateLimiter(rate_limit, host=self.host, scope=self._limit_scope, directory=rate_limit_dir, shared=shared_rate_limit, note=note)
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._calls = 0
        self._calls_lock = threading.Lock()
        self.session = self._new_session(validate_certs=validate_certs, ca_path=ca_path)

    def _new_session(self, *, validate_certs: bool, ca_path: str | None):
        session = requests.Session()
        # One connection per concurrent worker; urllib3 retries off: retries are ours, with backoff.
        adapter = _PacedAdapter(self.limiter, pool_connections=1, pool_maxsize=MAX_WORKERS, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        # The environment is read once here instead of on every request: HTTPS_PROXY/NO_PROXY for this
        # endpoint and the CA bundle variables. trust_env off also keeps ~/.netrc out, whose Basic
        # auth would replace our signed Authorization header for a matching host.
        # With trust_env off, the session's own proxies and verify are what every request uses.
        session.trust_env = False
        session.proxies = requests.utils.get_environ_proxies(self.url)
        env_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        session.verify = (ca_path or env_bundle or True) if validate_certs else False
        if not validate_certs:
            # The front end warns once in words; urllib3 would otherwise repeat it per request on stderr.
            import urllib3

            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        return session

    def _limit_scope(self) -> str:
        """Whose limit this is, without a secret: the key id, or the CVM role (its temporary key ids rotate)."""
        if getattr(self.credentials, "refreshable", False):
            return "cvm-role %s %s" % (getattr(self.credentials, "role", ""), getattr(self.credentials, "base_url", ""))
        return "key " + self.credentials.get().secret_id

    @property
    def api_calls(self) -> int:
        """HTTP requests sent so far (retries included)."""
        return self._calls

    def close(self) -> None:
        self.session.close()

    def _headers(self, *, action: str, payload: bytes, credential, timestamp: int) -> dict:
        headers = _signer.sign_json_post(
            secret_id=credential.secret_id,
            secret_key=credential.secret_key,
            service=SERVICE,
            host=self.host,
            timestamp=timestamp,
            payload=payload,
        )
        headers.update(
            {
                "X-TC-Action": action,
                "X-TC-Version": API_VERSION,
                "X-TC-Timestamp": str(timestamp),
                "X-TC-Language": self.language,
                "X-TC-RequestClient": REQUEST_CLIENT,
            }
        )
        if credential.token:
            headers["X-TC-Token"] = credential.token
        if self.region:
            headers["X-TC-Region"] = self.region
        return headers

    def _send_once(self, action: str, payload: bytes) -> dict:
        credential = self.credentials.get()
        # The rate-limit wait happens later, in the connection right before writing (_paced_pool_classes);
        # it is at most a few seconds, far inside the API's 5-minute tolerance for the signed timestamp.
        headers = self._headers(action=action, payload=payload, credential=credential, timestamp=int(self._clock()))
        with self._calls_lock:
            self._calls += 1
        try:
            reply = self.session.post(self.url, data=payload, headers=headers, timeout=self.timeout)
            status, body = reply.status_code, reply.content
        except requests.exceptions.SSLError as exc:
            raise TransportError(
                "TLS verification of %s failed (%s); set ca_path to a CA bundle that signs it, or validate_certs: false for a test endpoint"
                % (self.host, _tls_reason(exc)),
                retryable=False,
                action=action,
            ) from None
        except requests.exceptions.Timeout:
            raise TransportError("no answer from %s within timeout=%ss" % (self.host, self.timeout), action=action) from None
        except requests.exceptions.RequestException as exc:
            raise TransportError("cannot reach %s (%s)" % (self.host, _network_reason(exc)), action=action) from None
        try:
            response = parse_envelope(status=status, body=body, action=action)
        except ApiError as error:
            # Every process of the machine slows down on throttling and speeds up again on answers.
            (self.limiter.throttled if is_throttling(error) else self.limiter.answered)(action)
            raise
        self.limiter.answered(action)
        return response

    def _send_healing(self, action: str, payload: bytes) -> dict:
        """One logical attempt; temporary keys from a CVM role that the API calls stale are fetched anew once.

        No other authentication failure is repeated: a wrong key or a wrong clock stays wrong, and a
        request is signed at most a few seconds before it leaves, far inside the 5-minute tolerance.
        """
        try:
            return self._send_once(action, payload)
        except ApiError as error:
            if error.code == "AuthFailure.TokenFailure" and getattr(self.credentials, "refreshable", False):
                self.credentials.refresh()
                return self._send_once(action, payload)
            raise

    def call(self, action: str, params: dict) -> dict:
        """Call ``action`` with ``params``; return the ``Response`` object (with ``RequestId``)."""
        # Compact, ASCII-only JSON: these exact bytes are hashed into the signature and sent.
        payload = json.dumps(params, separators=(",", ":"), sort_keys=True).encode("ascii")
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

    def map_concurrent(self, func, items: list, *, stop_on=None) -> list:
        """Run ``func(item)`` for every item in a bounded pool; return results in input order.

        A result is the return value or the exception raised. When ``stop_on(exc)`` is true for
        an exception, items that have not started yet are skipped (their slot holds None), so a
        fatal error (wrong key) does not cost one doomed request per remaining item.
        """
        if not items:
            return []
        stop = threading.Event()

        def run(item):
            if stop.is_set():
                return None
            try:
                return func(item)
            except Exception as exc:  # noqa: BLE001 - handed back to the caller in order
                if stop_on is not None and stop_on(exc):
                    stop.set()
                return exc

        workers = min(len(items), MAX_WORKERS, max(2, int(self.rate_limit * 2)))
        if workers == 1:
            return [run(item) for item in items]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cloudcert") as pool:
            return list(pool.map(run, items))


def _first_line(exc: Exception) -> str:
    """requests' messages nest several reprs; keep them short and single-line."""
    text = " ".join(str(exc).split())
    return text[:200]


_TLS_RE = re.compile(r"(certificate verify failed: [^'\"()]+|hostname '[^']+' doesn't match [^'\"()]+|wrong version number)")


def _tls_reason(exc: Exception) -> str:
    match = _TLS_RE.search(" ".join(str(exc).split()))
    return match.group(1).strip() if match else _first_line(exc)


_ERRNO_RE = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def _network_reason(exc: Exception) -> str:
    """The human part of a requests/urllib3 failure: 'Connection refused', 'Name or service not known', ..."""
    text = " ".join(str(exc).split())
    match = _ERRNO_RE.search(text)
    if match:
        return match.group(1).strip()
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "the connection was closed without an answer"
    if "NameResolutionError" in text or "Failed to resolve" in text:
        return "the host name does not resolve"
    return _first_line(exc)
