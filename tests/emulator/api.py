"""The API request pipeline: protocol checks, TC3 authentication, rate limit, faults, then the action."""

from __future__ import annotations

import json
import time

from . import bindings, signature, sts
from .actions import ACTIONS, HANDLERS, certificate_ids_of
from .faults import apply_fault
from .responses import ApiError, Reply, error_reply, new_request_id, success_reply

API_VERSION = "2019-12-05"
SERVICE = "ssl"
MAX_SKEW = 300
REQUIRED_SIGNED_HEADERS = ("content-type", "host")


class ApiRequest:
    """What the pipeline needs from an HTTP request; ``headers`` is a case-insensitive mapping."""

    def __init__(self, method: str, path: str, headers, body: bytes, arrival: float) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.arrival = arrival
        self.secret_id: str | None = None
        self.params: object = None


def _check_protocol(request: ApiRequest) -> str:
    """Method, path, Content-Type, action, version and timestamp; returns the action."""
    if request.method != "POST" or request.path != "/":
        raise ApiError("UnsupportedProtocol", "The emulator only accepts POST / with a JSON body (got %s %s)." % (request.method, request.path))
    content_type = request.headers.get("Content-Type")
    if content_type != "application/json":
        raise ApiError("UnsupportedProtocol", "Content-Type must be exactly application/json (got %r)." % content_type)
    action = request.headers.get("X-TC-Action")
    if action not in ACTIONS and action not in sts.ACTIONS and action not in bindings.ACTIONS:
        served = ", ".join(ACTIONS + bindings.ACTIONS + sts.ACTIONS)
        raise ApiError("InvalidAction", "The action %r is not supported; this emulator serves %s." % (action, served))
    service, expected = (sts.SERVICE, sts.VERSION) if action in sts.ACTIONS else (SERVICE, API_VERSION)
    version = request.headers.get("X-TC-Version")
    if version != expected:
        raise ApiError("NoSuchVersion", "The requested version %r of the %s API does not exist; use %s." % (version, service, expected))
    return action


def _timestamp(request: ApiRequest) -> int:
    raw = request.headers.get("X-TC-Timestamp")
    if raw is None:
        raise ApiError("MissingParameter", "The request is missing the required header X-TC-Timestamp.")
    try:
        return int(raw.strip())
    except ValueError:
        raise ApiError("InvalidParameter", "X-TC-Timestamp must be an integer Unix timestamp (got %r)." % raw) from None


def _check_clock(timestamp: int, clock_offset: float) -> None:
    server_now = time.time() + clock_offset
    difference = server_now - timestamp
    if abs(difference) > MAX_SKEW:
        raise ApiError(
            "AuthFailure.SignatureExpire",
            "Signature expired. Timestamp %d differs from server time %d by %d seconds (more than %d)."
            % (timestamp, int(server_now), int(round(difference)), MAX_SKEW),
        )


def _service_of(action: str) -> str:
    return sts.SERVICE if action in sts.ACTIONS else SERVICE


def _parse_authorization(request: ApiRequest, timestamp: int, service: str = SERVICE) -> signature.Authorization:
    if request.headers.get("Authorization") == "SKIP":
        raise ApiError("AuthFailure.InvalidAuthorization", "Only AssumeRoleWithWebIdentity may be sent unsigned (Authorization: SKIP).")
    try:
        auth = signature.parse_authorization(request.headers.get("Authorization"))
    except signature.AuthorizationError as error:
        raise ApiError("AuthFailure.InvalidAuthorization", "Authorization header is invalid: %s." % error) from None
    request.secret_id = auth.secret_id
    if auth.service != service:
        raise ApiError("AuthFailure.InvalidAuthorization", "The credential scope service must be %r (got %r)." % (service, auth.service))
    missing = [name for name in REQUIRED_SIGNED_HEADERS if name not in auth.signed_headers]
    if missing:
        raise ApiError("AuthFailure.InvalidAuthorization", "SignedHeaders must include %s." % " and ".join(missing))
    absent = [name for name in auth.signed_headers if request.headers.get(name) is None]
    if absent:
        raise ApiError("AuthFailure.InvalidAuthorization", "Signed header(s) %s are not present in the request." % ", ".join(absent))
    if auth.date != signature.scope_date(timestamp):
        raise ApiError(
            "AuthFailure.SignatureFailure",
            "The credential scope date %s is not the UTC date of X-TC-Timestamp (%s)." % (auth.date, signature.scope_date(timestamp)),
        )
    return auth


def _authenticate(emu, request: ApiRequest, action: str, timestamp: int) -> None:
    if action == sts.WEB_IDENTITY:
        # Not signed, as the API documents: the token in the body is the proof, and there is no session token.
        if request.headers.get("Authorization") != "SKIP":
            raise ApiError("AuthFailure.InvalidAuthorization", "AssumeRoleWithWebIdentity is not signed: send Authorization: SKIP.")
        if request.headers.get("X-TC-Token"):
            raise ApiError("AuthFailure.InvalidAuthorization", "AssumeRoleWithWebIdentity takes no X-TC-Token.")
        return
    service = _service_of(action)
    auth = _parse_authorization(request, timestamp, service)
    entry = emu.keys.lookup(auth.secret_id)
    if entry is None:
        raise ApiError("AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure that your SecretId is correct.")
    headers = {name: request.headers.get(name) for name in auth.signed_headers}
    unsigned = (request.headers.get("X-TC-Content-SHA256") or "") == signature.UNSIGNED_PAYLOAD
    canonical = signature.canonical_request("POST", "", headers, auth.signed_headers, signature.payload_hash(request.body, unsigned))
    expected = signature.compute_signature(entry.secret, timestamp, auth.date, service, canonical)
    if not signature.signature_matches(expected, auth.signature):
        raise ApiError("AuthFailure.SignatureFailure", "The provided credentials could not be validated. Please check your signature is correct.")
    _check_token(entry, request.headers.get("X-TC-Token"))
    if entry.readonly and not action.startswith("Describe"):
        raise ApiError(
            "AuthFailure.UnauthorizedOperation",
            "You are not authorized to perform operation (%s:%s): this key's policy allows %s:Describe* only." % (service, action, service),
        )
    if entry.denied:
        raise ApiError(
            "AuthFailure.UnauthorizedOperation",
            "You are not authorized to perform operation (%s:%s): the CAM policy of this key lacks %s:%s." % (service, action, service, action),
        )


def _check_token(entry, token: str | None) -> None:
    if entry.token is None:
        return
    if not token:
        raise ApiError("AuthFailure.TokenFailure", "This is a temporary key: the request must carry its token in X-TC-Token.")
    if not signature.signature_matches(entry.token, token):
        raise ApiError("AuthFailure.TokenFailure", "The token in X-TC-Token is invalid for this temporary key.")
    if entry.expires is not None and time.time() >= entry.expires:
        raise ApiError("AuthFailure.TokenFailure", "The temporary key and its token have expired.")


def _parse_body(request: ApiRequest) -> dict:
    try:
        params = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError("InvalidParameter", "The request body is not valid JSON.") from None
    if not isinstance(params, dict):
        raise ApiError("InvalidParameter", "The request body must be a JSON object.")
    request.params = params
    return params


def _loggable_params(body: bytes) -> object:
    """Best-effort parse of a body that was rejected before its parameters were read."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _redacted(params: object) -> object:
    """What the log keeps of the parameters: a web identity token is a credential, so only its fingerprint."""
    if isinstance(params, dict) and isinstance(params.get("WebIdentityToken"), str):
        return dict(params, WebIdentityToken=sts.fingerprint(params["WebIdentityToken"]))
    return params


def _process(emu, request: ApiRequest, request_id: str) -> Reply:
    action = _check_protocol(request)
    timestamp = _timestamp(request)
    _check_clock(timestamp, emu.clock_offset)
    _authenticate(emu, request, action, timestamp)
    params = _parse_body(request)
    if action in sts.ACTIONS:
        if not emu.sts_limiter.try_acquire((action, request.secret_id or "-"), request.arrival):
            raise ApiError("RequestLimitExceeded", "request rate limit reached")
    elif not emu.limiter.try_acquire((action, request.secret_id), request.arrival):
        raise ApiError("LimitExceeded.RateLimitExceeded", "request rate limit reached")

    def answer() -> dict:
        if action in sts.ACTIONS:
            return sts.HANDLERS[action](emu, request, params)
        if action in bindings.ACTIONS:
            return bindings.HANDLERS[action](emu, params)
        return HANDLERS[action](params, emu.certificate_store)

    fault = emu.faults.take(action, certificate_ids_of(params))
    if fault is not None:
        return apply_fault(fault, answer, request_id)
    return success_reply(answer(), request_id)


def handle(emu, request: ApiRequest) -> Reply:
    """Answer one API request and record it in the request log."""
    request_id = new_request_id()
    try:
        reply = _process(emu, request, request_id)
    except ApiError as error:
        reply = error_reply(error.code, error.message, request_id)
    emu.log.append(
        {
            "time": time.time(),
            "action": request.headers.get("X-TC-Action"),
            "secret_id": request.secret_id,
            "params": _redacted(request.params if request.params is not None else _loggable_params(request.body)),
            "outcome": reply.outcome,
            "http_status": None if reply.reset else reply.status,
            "request_id": request_id,
        }
    )
    return reply
