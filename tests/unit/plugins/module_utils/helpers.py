# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers shared by the module_utils tests: static credentials and a tiny capture server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ansible_collections.cloudcert.tencent.plugins.module_utils._credentials import Credential, StaticCredentials
from ansible_collections.cloudcert.tencent.tests.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY


def static(secret_id=DEMO_SECRET_ID, secret_key=DEMO_SECRET_KEY, token=None):
    return StaticCredentials(Credential(secret_id, secret_key, token, source="test"))


class CaptureServer:
    """Records every request (method, path, headers, body) and answers with ``reply`` (status, body)."""

    def __init__(self, reply=(200, b'{"Response": {"RequestId": "capture-1"}}')):
        self.seen = []
        self.reply = reply
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
                status, payload = outer.reply
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_GET = do_CONNECT = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def envelope(payload):
    return json.dumps({"Response": payload}).encode()
