"""HTTP layer of the emulator: routing to the API pipeline, control endpoints and fake CVM metadata."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import struct
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import api
from .faults import Fault
from .responses import Reply, error_reply, new_request_id

METADATA_PREFIX = "/latest/meta-data/cam/security-credentials/"
CONTROL_PREFIX = "/_emulator/"
MAX_BODY = 10 * 1024 * 1024  # the real API's POST limit


def json_reply(document: object, status: int = 200) -> Reply:
    """A plain JSON answer (control endpoints)."""
    return Reply(status=status, body=json.dumps(document, ensure_ascii=False).encode("utf-8"))


def text_reply(text: str, status: int = 200) -> Reply:
    """A text/plain answer (metadata endpoints)."""
    return Reply(status=status, content_type="text/plain", body=text.encode("utf-8"))


class EmulatorHTTPServer(ThreadingHTTPServer):
    """Threaded server that knows its Emulator; handler threads never block shutdown."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator) -> None:
        self.emulator = emulator
        super().__init__(address, Handler)

    def handle_error(self, request, client_address) -> None:
        """Stay quiet when a client goes away or fails the TLS handshake; report real bugs as usual."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    """Routes each request; keep-alive HTTP/1.1 like the real endpoint."""

    protocol_version = "HTTP/1.1"
    # Headers and body leave in one segment without Nagle delays: otherwise delayed ACKs add ~40 ms per keep-alive request.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    server_version = "cloudcert-emulator"
    sys_version = ""

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Silence the default per-request stderr line; the request log is the record."""

    def do_GET(self) -> None:
        """GET: control, metadata, or (rejected) API requests."""
        self._dispatch("GET")

    def do_POST(self) -> None:
        """POST: control or API requests."""
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        arrival = time.monotonic()  # taken first: the rate limit works on arrival times
        body = self._read_body()
        if body is None:
            return
        path = urlsplit(self.path).path
        emu = self.server.emulator
        if path.startswith(CONTROL_PREFIX):
            reply = self._control(emu, method, path[len(CONTROL_PREFIX) :], body)
        elif path.startswith(METADATA_PREFIX) and method == "GET":
            reply = metadata_reply(emu, path[len(METADATA_PREFIX) :])
        else:
            reply = api.handle(emu, api.ApiRequest(method, path, self.headers, body, arrival))
            reply.delay += emu.latency
        self._send(reply)

    def _read_body(self) -> bytes | None:
        raw = self.headers.get("Content-Length") or "0"
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True  # the body was not read, so the connection cannot be reused
            message = "The request body is larger than 10 MB." if length > MAX_BODY else "Invalid Content-Length."
            code = "RequestSizeLimitExceeded" if length > MAX_BODY else "InvalidParameter"
            self._send(error_reply(code, message, new_request_id()))
            return None
        return self.rfile.read(length) if length else b""

    def _control(self, emu, method: str, name: str, body: bytes) -> Reply:
        if not ipaddress.ip_address(self.client_address[0]).is_loopback:
            return json_reply({"ok": False, "error": "control endpoints are for loopback clients only"}, 403)
        try:
            return control_reply(emu, method, name, json.loads(body.decode("utf-8")) if body.strip() else {})
        except (ValueError, TypeError) as error:
            return json_reply({"ok": False, "error": str(error)}, 400)

    def _send(self, reply: Reply) -> None:
        if reply.delay > 0:
            time.sleep(reply.delay)  # no lock is held here: concurrent requests stay concurrent
        try:
            if reply.reset:
                self._reset_connection()
                return
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client gave up (e.g. timed out on a slow answer)

    def _reset_connection(self) -> None:
        """Close with SO_LINGER 0 so the kernel sends RST: the client sees a reset, not a clean EOF."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()


def control_reply(emu, method: str, name: str, document: object) -> Reply:
    """Answer a /_emulator/<name> request."""
    if method == "GET" and name == "health":
        return json_reply({"ok": True})
    if method == "GET" and name == "requests":
        return json_reply(emu.requests)
    if method == "GET" and name == "faults":
        return json_reply(emu.faults.pending())
    if method == "POST" and name == "faults":
        for item in document if isinstance(document, list) else [document]:
            if not isinstance(item, dict):
                raise ValueError("a fault must be a JSON object")
            emu.faults.add(Fault(**item))
        return json_reply({"ok": True, "faults": emu.faults.pending()})
    if method == "POST" and name == "reset":
        emu.reset()
        return json_reply({"ok": True})
    if method == "POST" and name == "certificates":
        return certificates_reply(emu, document)
    if method == "GET" and name == "sts":
        # What STS issued: action, role, session name, base key id or provider id, token fingerprint, region, the
        # temporary key id (never its secret key or token).
        return json_reply([{k: v for k, v in call.items() if k not in ("secret_key", "session_token")} for call in emu.sts_calls()])
    if method == "GET" and name == "sts_secrets":
        # The issued secrets themselves, for leak scans of what the collection printed, logged or stored.
        return json_reply([value for call in emu.sts_calls() for value in (call["secret_key"], call["session_token"])])
    if method == "POST" and name == "web_identity_tokens":
        if not isinstance(document, dict) or not set(document) <= {"add", "revoke"}:
            raise ValueError('web_identity_tokens takes {"add": TOKEN} and/or {"revoke": TOKEN}')
        if document.get("add"):
            emu.add_web_identity_token(str(document["add"]))
        if document.get("revoke"):
            emu.revoke_web_identity_token(str(document["revoke"]))
        return json_reply({"ok": True})
    if method == "POST" and name == "bindings":
        if not isinstance(document, dict):
            raise ValueError("bindings takes a JSON object of knobs (see Emulator.configure_bindings)")
        emu.configure_bindings(**document)
        return json_reply({"ok": True})
    if method == "POST" and name == "config":
        if not isinstance(document, dict):
            raise ValueError("config must be a JSON object")
        emu.configure(**document)
        return json_reply({"ok": True, "config": emu.config()})
    return json_reply({"ok": False, "error": "unknown control endpoint %s %s" % (method, name)}, 404)


def certificates_reply(emu, document: object) -> Reply:
    """Change, add or delete certificates at run time.

    Body: one object or a list of them, each ``{"CertificateId": ID, "expires_in_days": N, "fields": {...}}``
    or ``{"CertificateId": ID, "delete": true}``. Deleting an unknown id answers 404 and changes nothing after it.
    """
    changed = []
    for item in document if isinstance(document, list) else [document]:
        if not isinstance(item, dict):
            raise ValueError("a certificate change must be a JSON object")
        unknown = set(item) - {"CertificateId", "expires_in_days", "fields", "delete"}
        if unknown:
            raise ValueError("unknown keys in a certificate change: %s" % ", ".join(sorted(unknown)))
        cert_id = item.get("CertificateId")
        if item.get("delete"):
            if not emu.delete_certificate(cert_id):
                return json_reply({"ok": False, "error": "no certificate %s" % cert_id, "changed": changed}, 404)
            changed.append({"CertificateId": cert_id, "deleted": True})
        else:
            record = emu.set_certificate(cert_id, fields=item.get("fields"), expires_in_days=item.get("expires_in_days"))
            changed.append({"CertificateId": cert_id, "CertEndTime": record.get("CertEndTime")})
    return json_reply({"ok": True, "changed": changed})


def metadata_reply(emu, name: str) -> Reply:
    """Fake CVM metadata: the role name, or fresh temporary credentials for that role."""
    role = emu.metadata_role
    if not name:
        return text_reply(role) if role else text_reply("Not Found", 404)
    if not role or name != role:
        return text_reply("Not Found", 404)
    if emu.metadata_garbage:
        return text_reply("<html>metadata service hiccup</html> {not json")
    secret_id, secret_key, token, expires = emu.keys.issue_temporary(emu.metadata_ttl)
    expiration = datetime.datetime.fromtimestamp(expires, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json_reply(
        {"TmpSecretId": secret_id, "TmpSecretKey": secret_key, "Token": token, "ExpiredTime": expires, "Expiration": expiration, "Code": "Success"}
    )
