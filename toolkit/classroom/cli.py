"""``flash-image classroom init|reissue|serve``: the subcommand's parser and its actions.

::

    flash-image classroom init room.db --seats 30 --budget-per-seat 0.50 --models nano-banana-2,nano-banana-2.1
    flash-image classroom reissue room.db --seat seat-07
    flash-image classroom serve room.db --host 0.0.0.0 --port 8765 [--offline]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..serve import LOOPBACK, app_url, remote_warning
from .room import Room, write_seats_csv

DEFAULT_PORT = 8765


def add_parser(sub: Any) -> None:
    """Add ``classroom`` to the CLI's subcommands."""
    cl = sub.add_parser("classroom", help="a gateway for a room: one key, per-seat budgets, a live dashboard")
    cl_sub = cl.add_subparsers(dest="classroom_command", required=True)
    init = cl_sub.add_parser("init", help="create a room file and its seat tokens")
    init.add_argument("room", help="the room file to create (room.db)")
    init.add_argument("--seats", type=int, default=30)
    init.add_argument("--budget-per-seat", type=float, default=0.50, help="each seat's cap in USD")
    init.add_argument("--room-cap", type=float, default=None, help="the whole room's cap in USD (default: none)")
    init.add_argument("--models", default="nano-banana-2", help="comma-separated models the room may use")
    init.add_argument("--json", action="store_true", help='print {"instructor_token": ..., "seats_csv": ...}')
    re = cl_sub.add_parser("reissue", help="a new token for one seat; the old one stops working")
    re.add_argument("room")
    re.add_argument("--seat", required=True)
    sv = cl_sub.add_parser("serve", help="serve the room's gateway")
    sv.add_argument("room")
    sv.add_argument("--host", default=LOOPBACK, help="address to bind (default 127.0.0.1; others print a warning)")
    sv.add_argument("--port", type=int, default=DEFAULT_PORT)
    sv.add_argument("--offline", action="store_true", help="answer with the simulator (rehearsal, no key)")
    sv.add_argument("--upstream", default=None, help="another Gemini endpoint (default GOOGLE_GEMINI_BASE_URL or "
                    "Google's)")
    sv.add_argument("--rpm", type=float, default=None, help="room-wide requests per minute per model")
    sv.add_argument("--concurrency", type=int, default=16, help="room-wide calls in flight per model")
    sv.add_argument("--seat-concurrency", type=int, default=4, help="calls in flight per seat")
    sv.add_argument("--max-body-mb", type=float, default=24.0, help="largest request body accepted")
    sv.add_argument("--certfile", default=None, help="TLS certificate (with --keyfile) for https")
    sv.add_argument("--keyfile", default=None)


def run(args: argparse.Namespace) -> int:
    """Run a parsed ``classroom`` command; ToolkitErrors propagate to the CLI's handler."""
    if args.classroom_command == "init":
        models = [m.strip() for m in args.models.split(",") if m.strip()]
        room, instructor, tokens = Room.create(args.room, seats=args.seats, budget_per_seat=args.budget_per_seat,
                                               models=models, room_cap=args.room_cap)
        csv_path = write_seats_csv(Path(args.room).with_suffix(".seats.csv"), tokens)
        allowed = room.models
        room.close()
        if args.json:
            print(json.dumps({"instructor_token": instructor, "seats_csv": str(csv_path)}))
            return 0
        print(f"wrote {args.room} ({len(tokens)} seats, ${args.budget_per_seat:.2f} each; models "
              f"{', '.join(allowed)}) and {csv_path} (seat tokens, mode 0600: print the cards, then delete it)")
        print(f"instructor token (shown once; it opens the dashboard): {instructor}")
        return 0
    if args.classroom_command == "reissue":
        room = Room(args.room)
        token = room.reissue(args.seat)
        room.close()
        print(f"{args.seat}: {token}  (the old token no longer works)")
        return 0
    from .limits import LimitSettings  # the server side loads only here
    from .server import build_gateway, serve_forever

    if bool(args.certfile) != bool(args.keyfile):
        raise ConfigError("TLS needs both --certfile and --keyfile.")
    if args.host == LOOPBACK or not args.certfile:
        warning = remote_warning(args.host, args.port)
        if warning:
            print(warning.replace("the app", "the gateway") + "\n  For TLS, pass --certfile cert.pem --keyfile "
                  "key.pem.", file=sys.stderr)
    gateway = build_gateway(args.room, offline=args.offline, upstream=args.upstream, host=args.host,
                            limits=LimitSettings(rpm=args.rpm, concurrent=args.concurrency,
                                                 seat_concurrent=args.seat_concurrency),
                            max_body_bytes=int(args.max_body_mb * 2**20))
    base = app_url(args.host, args.port, "x").split("/?")[0]
    if args.certfile:
        base = "https" + base.removeprefix("http")
    print(f"classroom gateway on {base} ({gateway.upstream.description})")
    print(f"  students: tk.Studio(classroom={base!r}, seat_token='<their card>')")
    print(f"  dashboard: {base}/classroom/#token=<instructor token>")
    return serve_forever(gateway, host=args.host, port=args.port, certfile=args.certfile, keyfile=args.keyfile)
