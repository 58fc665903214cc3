"""Reply objects, the API envelope and the error type used by the request pipeline."""

from __future__ import annotations

import json
import uuid


class ApiError(Exception):
    """An API-level failure: answered as HTTP 200 with ``Response.Error``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


class Reply:
    """What the handler writes back; ``reset`` means close the connection without answering."""

    def __init__(
        self, status: int = 200, content_type: str = "application/json", body: bytes = b"", outcome: str = "ok", delay: float = 0.0, reset: bool = False
    ) -> None:
        self.status = status
        self.content_type = content_type
        self.body = body
        self.outcome = outcome
        self.delay = delay
        self.reset = reset


def new_request_id() -> str:
    """A fresh RequestId, formatted like the real ones (UUID4)."""
    return str(uuid.uuid4())


def encode(document: dict) -> bytes:
    """JSON as the API sends it: UTF-8, non-ASCII kept as is."""
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def success_reply(payload: dict, request_id: str) -> Reply:
    """Envelope of a successful answer."""
    response = dict(payload)
    response["RequestId"] = request_id
    return Reply(body=encode({"Response": response}))


def error_document(code: str, message: str, request_id: str) -> dict:
    """Envelope of an API error."""
    return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}


def error_reply(code: str, message: str, request_id: str, outcome: str | None = None) -> Reply:
    """HTTP 200 carrying an API error (the API never uses 4xx for these)."""
    return Reply(body=encode(error_document(code, message, request_id)), outcome=outcome or code)


def html_reply(status: int, outcome: str) -> Reply:
    """An nginx-style gateway error page, as a load balancer in front of the API would send."""
    reason = {502: "Bad Gateway", 503: "Service Temporarily Unavailable"}.get(status, "Error")
    body = (
        "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n"
        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n" % (status, reason, status, reason)
    )
    return Reply(status=status, content_type="text/html", body=body.encode("ascii"), outcome=outcome)
