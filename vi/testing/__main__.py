"""`python -m vi.testing`: run the local Vi API in the foreground for manual and SDK testing."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import List, Optional

from . import LocalViServer


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vi.testing", description="Run a local Vi API server.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: 0 = any free port)")
    parser.add_argument("--secret-key", default=None, help="secret key to accept (default: generated)")
    parser.add_argument("--organization-id", default=None, help="organization id (default: random UUID4)")
    parser.add_argument("--no-seed", action="store_true", help="start with an empty organization")
    parser.add_argument(
        "--operation-delay",
        type=float,
        default=0.2,
        help="seconds until exports, deletions, uploads and runs complete (default: 0.2)",
    )
    args = parser.parse_args(argv)

    server = LocalViServer(
        host=args.host,
        port=args.port,
        secret_key=args.secret_key,
        organization_id=args.organization_id,
        seed=not args.no_seed,
        operation_delay=args.operation_delay,
    )
    server.start()
    print(f"Local Vi API listening on {server.url}")
    print("Connect with:")
    for name, value in server.environment().items():
        print(f"  export {name}={value}")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
