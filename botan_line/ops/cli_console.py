"""``botan-line console``: the local web console, on a loopback address only, behind a per-run token.

On the VPS it is reached through an SSH tunnel (``ssh -N -L 8765:127.0.0.1:8765 you@vps``); it never
listens on a public address. The address printed at start carries a new random token each run.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import secrets
import socket
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

DEFAULT_PORT = 8765
log = logging.getLogger("botan_line.console")


class NotLoopback(ValueError):
    pass


def loopback_host(host: str) -> str:
    """``host`` when it is a loopback address (127.0.0.0/8, ::1, localhost); NotLoopback otherwise."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        if ipaddress.ip_address(host.strip("[]")).is_loopback:
            return host.strip("[]")
    except ValueError:
        pass
    raise NotLoopback(
        f"the console binds to a loopback address only, not {host!r}: reach it from elsewhere through "
        f"an SSH tunnel (ssh -N -L {DEFAULT_PORT}:127.0.0.1:{DEFAULT_PORT} you@server)"
    )


def make_console(settings, host: str, port: int, *, token: str | None = None):
    """(server, url, services): the console app on ``host:port`` (port 0: any free one), not yet serving."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    from botan_line.doors.console import CONSOLE_ADMIN, create_app
    from botan_line.wiring import build

    host = loopback_host(host)
    sock = _listen(host, port)  # first: a port in use is an OSError here, not werkzeug's exit
    try:
        port = sock.getsockname()[1]
        token = token or secrets.token_urlsafe(32)
        services = build(settings.with_(admin_user_ids=settings.admin_user_ids | {CONSOLE_ADMIN}))
        app = create_app(services, token)
        secret = token

        class Quiet(WSGIRequestHandler):
            def log(self, type: str, message: str, *args) -> None:  # request lines carry the token
                log.info("%s", (message % args).replace(secret, "…"))

        server = make_server(host, port, app, threaded=True, request_handler=Quiet, fd=sock.fileno())
    finally:
        sock.close()  # the server holds its own duplicate of the listening socket
    shown = f"[{host}]" if ":" in host else host
    return server, f"http://{shown}:{port}/{token}/", services


def _listen(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(64)
    except OSError:
        sock.close()
        raise
    return sock


def _new_sqlite(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


def cmd_console(args) -> int:
    """Serve the console until Ctrl-C: 2 for a non-loopback address, 1 for a port in use."""
    from botan_line.settings import Settings

    try:
        host = loopback_host(args.host)
    except NotLoopback as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    fresh = _new_sqlite(settings.database_url)
    try:
        server, url, services = make_console(settings, host, args.port)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        print(f"error: port {args.port} is in use: choose another with --port", file=sys.stderr)
        return 1
    if fresh is not None:
        print(
            f"note: created a new, empty database at {fresh}; on the server, use --env-file /etc/botan-line/env"
        )
    port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
    print(f"botan-line console: {url}")
    print(f"  database {make_url(settings.database_url).render_as_string(hide_password=True)}; "
          f"Layer 2 {'on (costs yen)' if services.layer2.enabled else 'off'}")  # fmt: skip
    print(
        f"  loopback only; from your computer: ssh -N -L {port}:127.0.0.1:{port} you@server, then open the address"
    )
    print("  the address changes at every start; Ctrl-C stops the console", flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        services.engine.dispose()
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "console",
        help="local web console: LINE simulator, cost charts, candidate review (127.0.0.1 only)",
    )
    p.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free one)"
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="a loopback address (default 127.0.0.1); others are refused"
    )
    p.set_defaults(func=cmd_console)
