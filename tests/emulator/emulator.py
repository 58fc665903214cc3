"""The Emulator object: configuration, lifecycle and the Python control API."""

from __future__ import annotations

import copy
import datetime
import ipaddress
import ssl
import threading

from . import sts
from .bindings import BindingStore
from .faults import Fault, FaultQueue
from .fixtures import beijing_time, build_certificates, load_fixture_file, not_after, null_record
from .keys import KeyStore
from .ratelimit import SlidingWindowLimiter
from .requestlog import RequestLog
from .server import METADATA_PREFIX, EmulatorHTTPServer

DEFAULT_METADATA_ROLE = "cloudcert-demo-role"


def _loopback_host(host: str) -> str:
    """Refuse anything but an IPv4 loopback address: the emulator accepts demo keys, it must not be reachable."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or address.version != 4 or not address.is_loopback:
        raise ValueError("the emulator only binds to IPv4 loopback addresses such as 127.0.0.1, not %r" % host)
    return host


class Emulator:
    """Local Tencent Cloud SSL Certificate API; ``with Emulator() as emu:`` serves on ``emu.url``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        rate_limit: int = 10,
        generate: int = 0,
        keys: dict[str, str] | None = None,
        temp_keys: dict[str, tuple[str, str]] | None = None,
        log_path: str | None = None,
        fixtures_path: str | None = None,
        clock_offset: float = 0.0,
        ssl_context: ssl.SSLContext | None = None,
        metadata_role: str | None = DEFAULT_METADATA_ROLE,
        metadata_ttl: float = 7200,
        metadata_garbage: bool = False,
        sts_ttl: float | None = None,
    ) -> None:
        self.host = _loopback_host(host)
        self._requested_port = port
        self.latency = float(latency)
        self.clock_offset = float(clock_offset)
        self.metadata_role = metadata_role
        self.metadata_ttl = metadata_ttl
        self.metadata_garbage = metadata_garbage
        self.ssl_context = ssl_context
        self.started_at = datetime.datetime.now(datetime.timezone.utc)
        extra = load_fixture_file(fixtures_path) if fixtures_path else None
        self.certificate_store = build_certificates(self.started_at, generate, extra)
        self._store_lock = threading.Lock()  # serialises run-time changes (copy, change, swap)
        self.keys = KeyStore(keys, temp_keys)
        self.limiter = SlidingWindowLimiter(rate_limit)
        # STS: roles with their trust rules, the web identity tokens it accepts, what it issued, and a knob that
        # caps the lifetime of issued keys (seconds) for refresh tests. Its limits are the documented ones.
        self.sts_limiter = SlidingWindowLimiter(0, sts.LIMITS)
        self.sts_roles = dict(sts.ROLES)
        self.sts_tokens = {sts.WEB_IDENTITY_TOKEN}
        self.sts_ttl = sts_ttl
        self.sts_sessions: list[dict] = []
        # Where certificates are deployed, and the bind-resource scan tasks (bindings.py).
        self.binding_store = BindingStore()
        self.faults = FaultQueue()
        self.log = RequestLog(log_path)
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle

    def start(self) -> Emulator:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        server = EmulatorHTTPServer((self.host, self._requested_port), self)
        if self.ssl_context is not None:
            # Handshake lazily in the handler thread so that one slow client cannot stall accept().
            server.socket = self.ssl_context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        self._server = server
        # A short poll interval makes stop() quick, which matters for test suites that start one emulator per test.
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="cloudcert-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # addresses

    @property
    def port(self) -> int:
        """The bound port (the ephemeral one when constructed with port=0)."""
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """Base URL of the API, e.g. http://127.0.0.1:PORT."""
        return "%s://%s:%d" % ("https" if self.ssl_context else "http", self.host, self.port)

    @property
    def endpoint(self) -> str:
        """host:port, what an SDK HttpProfile calls the endpoint."""
        return "%s:%d" % (self.host, self.port)

    @property
    def metadata_url(self) -> str:
        """Base URL of the fake CVM role credentials (the value for CLOUDCERT_TENCENT_METADATA_URL)."""
        return self.url + METADATA_PREFIX

    # inspection and control

    @property
    def certificates(self) -> dict[str, dict]:
        """Records served, by id (a shallow copy of the mapping)."""
        return dict(self.certificate_store)

    @property
    def requests(self) -> list[dict]:
        """Copy of the request log."""
        return self.log.entries()

    def count(self, action: str | None = None, outcome: str | None = None) -> int:
        """Number of logged API requests with this action and/or outcome ("ok", an error code or a fault kind)."""
        return self.log.count(action, outcome)

    def add_fault(self, kind: str, count: int = 1, action: str | None = None, certificate_id: str | None = None, seconds: float | None = None) -> None:
        """Queue a fault (see faults.FAULT_KINDS); count -1 keeps it forever."""
        self.faults.add(Fault(kind, count, action, certificate_id, seconds))

    def add_key(self, secret_id: str, secret_key: str) -> None:
        """Accept one more permanent key."""
        self.keys.add_key(secret_id, secret_key)

    def add_temp_key(self, secret_id: str, secret_key: str, token: str, expires: float | None = None) -> None:
        """Accept one more temporary key (with its token, until ``expires`` epoch seconds if given)."""
        self.keys.add_temp_key(secret_id, secret_key, token, expires)

    def set_certificate(self, certificate_id: str, fields: dict | None = None, expires_in_days: int | None = None) -> dict:
        """Change (or add) one certificate at run time; returns the new record.

        ``expires_in_days`` moves CertEndTime to the last second of that UTC day counted from now (a
        renewal or an ageing certificate); ``fields`` overrides API fields as given. The store is
        replaced, never changed in place, so a request being answered sees the old or the new state whole.
        """
        if not isinstance(certificate_id, str) or not certificate_id:
            raise ValueError("CertificateId must be a non-empty string")
        if fields is not None and not isinstance(fields, dict):
            raise ValueError("fields must be a JSON object of API fields")
        if expires_in_days is not None and (isinstance(expires_in_days, bool) or not isinstance(expires_in_days, int)):
            raise ValueError("expires_in_days must be an integer")
        with self._store_lock:
            store = dict(self.certificate_store)
            record = copy.deepcopy(store.get(certificate_id) or null_record(certificate_id))
            record.update(copy.deepcopy(fields or {}))
            record["CertificateId"] = certificate_id
            if expires_in_days is not None:
                now = datetime.datetime.now(datetime.timezone.utc)
                record["CertEndTime"] = beijing_time(not_after(now, expires_in_days))
                record["IsExpiring"] = 0 <= expires_in_days <= 30
            store[certificate_id] = record
            self.certificate_store = store
        return copy.deepcopy(record)

    def delete_certificate(self, certificate_id: str) -> bool:
        """Remove one certificate at run time; False when there was none with this id."""
        with self._store_lock:
            store = dict(self.certificate_store)
            found = store.pop(certificate_id, None) is not None
            self.certificate_store = store
        return found

    def add_web_identity_token(self, token: str) -> None:
        """Accept one more web identity token (a rotated projected token)."""
        self.sts_tokens.add(token)

    def revoke_web_identity_token(self, token: str) -> None:
        """Stop accepting a web identity token (it expired)."""
        self.sts_tokens.discard(token)

    def sts_calls(self, action: str | None = None) -> list[dict]:
        """What STS issued (action, role, session name, base key id or provider, region, ...), oldest first."""
        return [dict(session) for session in self.sts_sessions if action is None or session["action"] == action]

    def configure_bindings(self, advance=None, delay=None, empty_first=None, region_errors=None, failing=None, detail_error=None, bind_generated=None):
        """Turn the bind-resource scan's knobs (see bindings.py); ``advance`` moves its clock forward by seconds."""
        store = self.binding_store
        with store.lock:
            if advance is not None:
                store.offset += float(advance)
            if delay is not None:
                store.delay = float(delay)
            if empty_first is not None:
                store.empty_first = bool(empty_first)
            if region_errors is not None:
                store.region_errors = {(str(t), r) for t, r in region_errors}
            if failing is not None:
                store.failing = set(failing)
            if detail_error is not None:
                store.detail_error = bool(detail_error)
            if bind_generated is not None:
                store.bind_generated(bind_generated)

    def reset(self) -> None:
        """Clear faults, the in-memory log, the rate-limit windows and the record of STS sessions."""
        self.faults.clear()
        self.log.clear()
        self.limiter.reset()
        self.sts_limiter.reset()
        self.sts_sessions.clear()

    def configure(
        self,
        latency: float | None = None,
        rate_limit: int | None = None,
        clock_offset: float | None = None,
        metadata_role: str | None = "",
        metadata_garbage: bool | None = None,
        sts_ttl: float | None = None,
    ) -> None:
        """Change settings at run time (metadata_role "" means unchanged, None means no role; sts_ttl 0: no cap)."""
        for name, value in (("latency", latency), ("clock_offset", clock_offset)):
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ValueError("%s must be a number" % name)
                setattr(self, name, float(value))
        if rate_limit is not None:
            if isinstance(rate_limit, bool) or not isinstance(rate_limit, int) or rate_limit < 0:
                raise ValueError("rate_limit must be a non-negative integer")
            self.limiter.limit = rate_limit
        if metadata_role != "":
            self.metadata_role = metadata_role
        if metadata_garbage is not None:
            self.metadata_garbage = bool(metadata_garbage)
        if sts_ttl is not None:
            self.sts_ttl = float(sts_ttl) or None

    def config(self) -> dict:
        """Current run-time settings."""
        return {
            "latency": self.latency,
            "rate_limit": self.limiter.limit,
            "clock_offset": self.clock_offset,
            "metadata_role": self.metadata_role,
            "metadata_ttl": self.metadata_ttl,
            "metadata_garbage": self.metadata_garbage,
            "sts_ttl": self.sts_ttl,
        }
