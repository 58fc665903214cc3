# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""HTTP for the API client: one pooled ``requests`` session whose connections are paced by the rate limiter.

The only file that knows ``requests`` and urllib3 internals (its pacing is exercised on urllib3 1.26, RHEL 9's,
and 2.x by the target_pythons integration target). It sends bytes and returns the status and body; failures
leave as TransportError with the human part of the reason. It knows nothing of signing, envelopes or actions
beyond the name it hands the limiter.
"""

from __future__ import annotations

import os
import re
import threading
import traceback

from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import TransportError

try:
    import requests
    from requests.adapters import HTTPAdapter

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by the sanity import test
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

# Connections kept per endpoint: one per concurrent worker of the fetch plan.
MAX_CONNECTIONS = 32


def _paced_pool_classes(limiter, current) -> dict:
    """urllib3 pool classes whose connections take the rate-limit permit right before writing a request.

    The server counts arrivals, so the permit is taken after the TCP and TLS handshakes of a new
    connection and after requests has prepared the request: a handshake of several round trips
    on the first burst cannot push those requests into the next second's window, and a busy
    machine cannot bunch more than ``rate`` arrivals into one second. Retries pass here too.
    The limit is per action: ``current.action``, set by ``Transport.post`` in the same thread.
    """
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class _Paced:
        def request(self, *args, **kwargs):
            if getattr(self, "sock", None) is None:
                self.connect()  # the pool has set the connect timeout on this connection already
            limiter.acquire(getattr(current, "action", None))
            return super().request(*args, **kwargs)

    http_conn = type("PacedHTTPConnection", (_Paced, HTTPConnection), {})
    https_conn = type("PacedHTTPSConnection", (_Paced, HTTPSConnection), {})
    return {
        "http": type("PacedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("PacedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }


if HAS_REQUESTS:

    class _PacedAdapter(HTTPAdapter):
        """An adapter whose pools (direct and through proxies) pace requests with ``limiter``."""

        def __init__(self, limiter, current, **kwargs) -> None:
            self._pool_classes = _paced_pool_classes(limiter, current)
            super().__init__(**kwargs)

        def init_poolmanager(self, *args, **kwargs) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = self._pool_classes

        def proxy_manager_for(self, proxy, **proxy_kwargs):
            manager = super().proxy_manager_for(proxy, **proxy_kwargs)
            manager.pool_classes_by_scheme = self._pool_classes
            return manager


class Transport:
    """POSTs to one endpoint URL over one pooled session, each paced by ``limiter`` for its action."""

    def __init__(self, *, url: str, host: str, limiter, timeout: float = 15.0, validate_certs: bool = True, ca_path: str | None = None) -> None:
        self.url = url
        self.host = host
        self.timeout = timeout
        self._current = threading.local()
        self.session = self._new_session(limiter, validate_certs=validate_certs, ca_path=ca_path)

    def _new_session(self, limiter, *, validate_certs: bool, ca_path: str | None):
        session = requests.Session()
        # One connection per concurrent worker; urllib3 retries off: retries are the client's, with backoff.
        adapter = _PacedAdapter(limiter, self._current, pool_connections=1, pool_maxsize=MAX_CONNECTIONS, max_retries=0)
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

    def post(self, payload: bytes, headers: dict, *, action: str) -> tuple[int, bytes]:
        """(HTTP status, body) of one POST, or TransportError (``retryable`` False for a TLS failure)."""
        self._current.action = action
        try:
            reply = self.session.post(self.url, data=payload, headers=headers, timeout=self.timeout)
            return reply.status_code, reply.content
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
        finally:
            self._current.action = None

    def close(self) -> None:
        self.session.close()


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
