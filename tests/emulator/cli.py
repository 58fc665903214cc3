"""Command line entry point: ``python -m tests.emulator [options]`` from the collection root."""

from __future__ import annotations

import argparse
import os
import signal
import ssl
import sys
import tempfile
import threading

from .emulator import DEFAULT_METADATA_ROLE, Emulator
from .faults import FAULT_KINDS
from .material import write_material


def _key(value: str) -> tuple[str, str]:
    parts = value.split(":", 1)
    if len(parts) != 2 or not all(parts):
        raise argparse.ArgumentTypeError("expected ID:SECRET")
    return parts[0], parts[1]


def _temp_key(value: str) -> tuple[str, str, str]:
    parts = value.split(":", 2)
    if len(parts) != 3 or not all(parts):
        raise argparse.ArgumentTypeError("expected ID:SECRET:TOKEN")
    return parts[0], parts[1], parts[2]


def _fault(value: str) -> tuple[str, int, str | None]:
    parts = value.split(":")
    if not 1 <= len(parts) <= 3 or parts[0] not in FAULT_KINDS:
        raise argparse.ArgumentTypeError("expected KIND[:COUNT[:ACTION]] with KIND one of %s" % ", ".join(FAULT_KINDS))
    try:
        count = int(parts[1]) if len(parts) > 1 and parts[1] else 1
    except ValueError:
        raise argparse.ArgumentTypeError("COUNT must be an integer (-1 = forever)") from None
    return parts[0], count, parts[2] if len(parts) > 2 and parts[2] else None


def build_parser() -> argparse.ArgumentParser:
    """Argument parser of the CLI."""
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description="Local Tencent Cloud SSL Certificate API emulator.")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port, 0 = ephemeral (default 0)")
    parser.add_argument("--port-file", help="write the bound port to this file once listening")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds slept before each API answer")
    parser.add_argument("--rate-limit", type=int, default=10, help="requests per second per action and key, 0 = off (default 10)")
    parser.add_argument("--generate", type=int, default=0, help="add N generated certificates G0000001...")
    parser.add_argument("--fixtures", help="JSON list of extra/override certificate records")
    parser.add_argument("--key", type=_key, action="append", default=[], metavar="ID:SECRET", help="accept another permanent key")
    parser.add_argument("--temp-key", type=_temp_key, action="append", default=[], metavar="ID:SECRET:TOKEN", help="accept another temporary key")
    parser.add_argument("--fault", type=_fault, action="append", default=[], metavar="KIND[:COUNT[:ACTION]]", help="queue a fault")
    parser.add_argument("--log", help="append one JSON line per API request to this file")
    parser.add_argument("--material-dir", help="write each certificate's PEM (<id>.crt) and private keys (<id>.key) here, for leak checks")
    parser.add_argument("--clock-offset", type=float, default=0.0, help="seconds added to the server clock")
    parser.add_argument("--tls-cert", help="PEM certificate (chain) to serve HTTPS")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    parser.add_argument("--metadata-role", default=DEFAULT_METADATA_ROLE, help="CVM role name served by the metadata endpoint")
    parser.add_argument("--no-metadata-role", action="store_true", help="the metadata endpoint reports no role (404)")
    parser.add_argument("--metadata-ttl", type=float, default=7200, help="lifetime of metadata temporary keys in seconds")
    parser.add_argument("--metadata-garbage", action="store_true", help="the metadata credentials endpoint answers non-JSON")
    parser.add_argument("--scan-delay", type=float, default=1.0, help="seconds a deployment scan (bind-resource task) takes (default 1)")
    parser.add_argument("--bind-generated", type=int, default=0, help="bind the first N generated certificates to a CDN domain each")
    parser.add_argument("--sts-ttl", type=float, default=None, help="cap the lifetime of keys STS issues, in seconds (refresh tests)")
    parser.add_argument(
        "--exit-with-parent", action="store_true", help="stop when the process that started the emulator exits (no orphan outlives a test script)"
    )
    return parser


def _ssl_context(args: argparse.Namespace) -> ssl.SSLContext | None:
    if not args.tls_cert:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    return context


def write_port_file(path: str, port: int) -> None:
    """Write atomically so that a watcher never reads a half-written file."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, tmp_path = tempfile.mkstemp(dir=directory, prefix=".emulator-port-")
    with os.fdopen(handle, "w") as tmp:
        tmp.write("%d\n" % port)
    os.replace(tmp_path, path)


def build_emulator(args: argparse.Namespace) -> Emulator:
    """An Emulator configured from parsed arguments."""
    emulator = Emulator(
        host=args.host,
        port=args.port,
        latency=args.latency,
        rate_limit=args.rate_limit,
        generate=args.generate,
        keys=dict(args.key),
        temp_keys={key_id: (secret, token) for key_id, secret, token in args.temp_key},
        log_path=args.log,
        fixtures_path=args.fixtures,
        clock_offset=args.clock_offset,
        ssl_context=_ssl_context(args),
        metadata_role=None if args.no_metadata_role else args.metadata_role,
        metadata_ttl=args.metadata_ttl,
        metadata_garbage=args.metadata_garbage,
        sts_ttl=args.sts_ttl,
    )
    for kind, count, action in args.fault:
        emulator.add_fault(kind, count=count, action=action)
    emulator.configure_bindings(delay=args.scan_delay, bind_generated=["G%07d" % n for n in range(1, args.bind_generated + 1)])
    if args.material_dir:
        write_material(args.material_dir, emulator.certificates)
    return emulator


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT (or, with --exit-with-parent, the parent's exit); returns the exit code."""
    parent = os.getppid()  # before the port file exists: a parent that waits only for it may exit right after
    args = build_parser().parse_args(argv)
    try:
        emulator = build_emulator(args)
    except (ValueError, OSError) as error:
        sys.stderr.write("cloudcert emulator: %s\n" % error)
        return 2
    stop = threading.Event()

    def request_stop(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    emulator.start()
    try:
        if args.port_file:
            write_port_file(args.port_file, emulator.port)
        sys.stderr.write("cloudcert emulator listening on %s\n" % emulator.url)
        sys.stderr.flush()
        # A timed wait keeps the main thread responsive to signals on every Python version.
        while not stop.wait(0.2):
            if args.exit_with_parent and os.getppid() != parent:
                break
    finally:
        emulator.stop()
    return 0
