"""Injectable faults: API errors, gateway errors, broken bodies, resets and slow answers."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable

from .responses import ApiError, Reply, encode, error_document, error_reply, html_reply

# kind -> (error code, message) for faults answered with an API error envelope
API_ERROR_FAULTS = {
    "internal_error": ("InternalError", "An internal error has occurred. Retry your request, but if the problem persists, contact us."),
    "request_limit": ("RequestLimitExceeded", "Your current request times equals to `20` in a second, which exceeds the frequency limit."),
    "rate_limit": ("LimitExceeded.RateLimitExceeded", "request rate limit reached"),
    "service_unavailable": ("ServiceUnavailable", "Service is unavailable now."),
    "unauthorized": ("AuthFailure.UnauthorizedOperation", "you are not authorized to perform this operation (fault injected by the emulator)"),
    "token_failure": ("AuthFailure.TokenFailure", "The token is invalid or has expired (fault injected by the emulator)."),
}
OTHER_FAULTS = ("http_502", "http_503", "reset", "slow", "truncated", "non_json", "no_response", "wrong_types", "extra_fields")
FAULT_KINDS = tuple(API_ERROR_FAULTS) + OTHER_FAULTS
DEFAULT_SLOW_SECONDS = 5.0


class Fault:
    """One queued fault; ``count`` -1 means it never runs out."""

    def __init__(self, kind: str, count: int = 1, action: str | None = None, certificate_id: str | None = None, seconds: float | None = None) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError("unknown fault kind %r; expected one of %s" % (kind, ", ".join(FAULT_KINDS)))
        if not isinstance(count, int) or isinstance(count, bool) or count == 0 or count < -1:
            raise ValueError("fault count must be a positive integer or -1 (forever)")
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0):
            raise ValueError("fault seconds must be a non-negative number")
        self.kind = kind
        self.count = count
        self.action = action
        self.certificate_id = certificate_id
        self.seconds = DEFAULT_SLOW_SECONDS if seconds is None else float(seconds)

    def matches(self, action: str, certificate_ids: list[str]) -> bool:
        """True when the selectors (if any) match the request."""
        if self.action is not None and self.action != action:
            return False
        return self.certificate_id is None or self.certificate_id in certificate_ids

    def as_dict(self) -> dict:
        """JSON-friendly description (for the control endpoint)."""
        return {"kind": self.kind, "count": self.count, "action": self.action, "certificate_id": self.certificate_id, "seconds": self.seconds}


class FaultQueue:
    """Faults consumed in FIFO order; the first one whose selectors match a request fires."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault behind the existing ones."""
        with self._lock:
            self._faults.append(fault)

    def take(self, action: str, certificate_ids: list[str]) -> Fault | None:
        """Consume one use of the first matching fault, or return None."""
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.matches(action, certificate_ids):
                    if fault.count > 0:
                        fault.count -= 1
                        if fault.count == 0:
                            del self._faults[index]
                    return fault
        return None

    def pending(self) -> list[dict]:
        """Descriptions of the queued faults."""
        with self._lock:
            return [fault.as_dict() for fault in self._faults]

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()


def _mangle_types(record: dict) -> None:
    """Give fields the wrong JSON types, as a broken gateway or an API change might."""
    if "Status" in record:
        record["Status"] = str(record["Status"])
    if "SubjectAltName" in record:
        record["SubjectAltName"] = {str(index): name for index, name in enumerate(record["SubjectAltName"] or [])}
    if "Tags" in record:
        record["Tags"] = "env=prod"


def _add_unknown_fields(record: dict) -> None:
    """Add fields a newer API version could introduce, at top level and inside nested objects."""
    record["FutureField"] = {"Nested": [1, "two", None]}
    record["FutureFlag"] = True
    for value in list(record.values()):
        if isinstance(value, dict):
            value["FutureNestedField"] = "emulator-extra"


def _records_of(response: dict) -> list[dict]:
    """The certificate objects of a successful answer (the answer itself, or the list items)."""
    if isinstance(response.get("Certificates"), list):
        return [item for item in response["Certificates"] if isinstance(item, dict)]
    return [response]


def _mangled(document: dict, kind: str) -> dict:
    document = copy.deepcopy(document)
    response = document["Response"]
    if "Error" in response:
        return document  # an error answer has nothing to mangle
    for record in _records_of(response):
        if kind == "wrong_types":
            _mangle_types(record)
        else:
            _add_unknown_fields(record)
    if kind == "extra_fields":
        response["FutureTopLevel"] = "emulator-extra"
        document["Extra"] = {"Emulator": True}
    return document


def real_document(answer: Callable[[], dict], request_id: str) -> dict:
    """The envelope the action would produce without a fault."""
    try:
        payload = answer()
    except ApiError as error:
        return error_document(error.code, error.message, request_id)
    response = dict(payload)
    response["RequestId"] = request_id
    return {"Response": response}


def apply_fault(fault: Fault, answer: Callable[[], dict], request_id: str) -> Reply:
    """Reply for a request hit by ``fault``; ``answer`` computes the real payload when the fault needs it."""
    kind = fault.kind
    if kind in API_ERROR_FAULTS:
        code, message = API_ERROR_FAULTS[kind]
        return error_reply(code, message, request_id, outcome=kind)
    if kind in ("http_502", "http_503"):
        return html_reply(int(kind[-3:]), kind)
    if kind == "reset":
        return Reply(outcome=kind, reset=True)
    if kind == "non_json":
        return Reply(content_type="text/plain", body=b"upstream error", outcome=kind)
    if kind == "no_response":
        return Reply(body=encode({"Result": "ok"}), outcome=kind)
    document = real_document(answer, request_id)
    if kind == "slow":
        return Reply(body=encode(document), outcome=kind, delay=fault.seconds)
    if kind == "truncated":
        body = encode(document)
        return Reply(body=body[: len(body) // 2], outcome=kind)
    return Reply(body=encode(_mangled(document, kind)), outcome=kind)
