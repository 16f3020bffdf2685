"""Who may drive the console: the per-run token on every path, a loopback Host, same-origin POSTs.

The token is a long random string printed when ``botan-line console`` starts; every path begins with
it (static files too) and it is compared in constant time, so another user of the machine or a page
on another site cannot reach the console. A Host that is not a loopback name is refused (a DNS
rebinding page would carry its own), and a POST must come from the console's own origin. Every answer
forbids framing, caching, referrers to other sites and any script or style not served by the console.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, abort, request

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
SAFE_SITES = ("same-origin", "none")  # Sec-Fetch-Site of a POST the console itself sent
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # the token is in every URL: never sent to another site (a form post still carries its
    # Origin, which no-referrer would turn into "null")
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def same_token(given: str, token: str) -> bool:
    return secrets.compare_digest(given.encode(), token.encode())


def install(app: Flask, token: str) -> None:
    """Check every request before routing (a wrong path is a 404, never a redirect) and set the headers."""
    if len(token) < 16:
        raise ValueError("the console token must be long and random (secrets.token_urlsafe)")

    @app.before_request
    def _guard():
        if not same_token(request.path.split("/", 2)[1], token):
            abort(404)
        if (urlsplit(f"//{request.host}").hostname or "") not in LOOPBACK_NAMES:
            abort(403, "the console answers on 127.0.0.1 only (through ssh -L from elsewhere)")
        if request.method not in ("GET", "HEAD", "POST"):
            abort(405)
        if request.method == "POST":
            origin = request.headers.get("Origin")
            if origin is not None and origin != f"{request.scheme}://{request.host}":
                abort(403, "cross-origin request refused")
            if request.headers.get("Sec-Fetch-Site", "same-origin") not in SAFE_SITES:
                abort(403, "cross-site request refused")

    @app.after_request
    def _headers(response):
        response.headers.update(HEADERS)
        return response
