"""The operators' and writers' console: a LINE simulator, the cost dashboard and the candidate review.

``create_app(services, token)`` builds the Flask app (nothing is created at import time); every page
lives under ``/<token>/`` and ``doors/console_guard.py`` checks each request. Templates are
autoescaped and the pages never show a secret.

The routes are thin: the simulator is ``doors/simulator.py``, the dashboard's figures
``ops/dashboard.py``, the review ``ops/review.py``. An approval or a rejection is the admin's own
``/approve`` or ``/reject`` command, sent through the conversation core by the console's admin user.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import Blueprint, Flask, abort, redirect, render_template, request, send_from_directory, url_for
from sqlalchemy.engine import make_url

from botan_line.characters.check import check_characters, where
from botan_line.core.layer2 import lifecycle
from botan_line.doors import console_guard, review
from botan_line.doors import dashboard as dashboard_data
from botan_line.doors.simulator import Exchange, Fan, Simulator
from botan_line.wiring import Services

UI = Path(__file__).resolve().parent / "console_ui"
CONSOLE_ADMIN = "Uconsole-admin"  # the console's own admin user: its /approve is recorded as this ID
DEFAULT_FAN = "Uconsole"  # the terminal chat's default fan


@dataclass
class Console:
    """What the routes share: the services, the simulator on them, the clock and the admin ID."""

    services: Services
    sim: Simulator
    clock: Callable[[], float]
    admin_id: str

    def now(self, at: str | None = None) -> datetime:
        """The clock the operator chose (a datetime-local value, in the bot's time zone), else now."""
        tz = self.services.settings.tz
        if not at:
            return datetime.fromtimestamp(self.clock(), tz)
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            abort(400, "the time must look like 2026-11-28T07:30")
        return when if when.tzinfo else when.replace(tzinfo=tz)


def create_app(
    services, token: str, *, clock: Callable[[], float] = time.time, admin_id: str = CONSOLE_ADMIN
) -> Flask:
    """The console for ``services`` (built with ``admin_id`` among the admins), reachable under ``/<token>/``."""
    app = Flask(__name__, template_folder=str(UI / "templates"), static_folder=None)
    console_guard.install(app, token)
    app.jinja_env.autoescape = True  # every template, whatever its name
    app.config.update(MAX_CONTENT_LENGTH=64 * 1024)
    c = Console(services, Simulator(services), clock, admin_id)
    ui = Blueprint("ui", __name__, url_prefix="/<token>")

    @ui.url_value_preprocessor
    def _token(endpoint, values):
        if not console_guard.same_token((values or {}).pop("token", ""), token):
            abort(404)

    @ui.url_defaults
    def _add_token(endpoint, values):
        values.setdefault("token", token)

    @app.context_processor
    def _page():
        return {
            "sisters": services.characters.current.sisters,
            "layer2": _layer2_state(services),
            "database": _database_label(services.settings.database_url),
            "admin_id": admin_id,
            "retiring": _retiring(services, c.now()),
        }

    @ui.get("/static/<path:name>")
    def static(name: str):
        return send_from_directory(UI / "static", name, max_age=0)

    _chat_routes(ui, c)
    _dashboard_routes(ui, c)
    _review_routes(ui, c)
    app.register_blueprint(ui)
    return app


# --- the simulator -------------------------------------------------------------------------------
def _fan(values) -> Fan:
    user = (values.get("user") or DEFAULT_FAN).strip()[:64] or DEFAULT_FAN
    return Fan(user, (values.get("name") or "").strip()[:40] or None)


def _chat_routes(ui: Blueprint, c: Console) -> None:
    def view(fan: Fan, at: str) -> dict:
        return {"fan": fan, "at": at, "transcript": c.sim.transcript(fan.user_id), "fans": c.sim.fans()}

    def answered(fan: Fan, at: str):
        if request.headers.get("X-Console-Fetch"):  # the page's script: just the conversation
            return render_template("_transcript.html", **view(fan, at))
        return redirect(url_for("ui.chat", user=fan.user_id, name=fan.display_name or "", at=at))

    def turn(do: Callable[[Fan, datetime], Exchange | None]):
        fan, at = _fan(request.form), request.form.get("at", "")
        do(fan, c.now(at))
        return answered(fan, at)

    @ui.get("/")
    def index():
        return redirect(url_for("ui.chat"))

    @ui.get("/chat")
    def chat():
        return render_template("chat.html", **view(_fan(request.args), request.args.get("at", "")))

    @ui.post("/chat/say")
    def say():
        text = request.form.get("text", "").strip()[:5000]
        return turn(lambda fan, now: c.sim.say(fan, text, now) if text else None)

    @ui.post("/chat/follow")
    def follow():
        return turn(c.sim.follow)

    @ui.post("/chat/tap")
    def tap():
        data, shown = request.form.get("data", "")[:300], request.form.get("display", "")[:300]
        return turn(lambda fan, now: c.sim.tap(fan, data, shown, now))

    @ui.post("/chat/sticker")
    def sticker():
        package_id, _, sticker_id = request.form.get("sticker", "11537/52002734").partition("/")
        words = [w for w in request.form.get("keywords", "").replace("、", ",").split(",") if w.strip()][:15]
        return turn(lambda fan, now: c.sim.sticker(fan, package_id[:20], sticker_id[:20], words, now))


# --- the dashboard -------------------------------------------------------------------------------
def _dashboard_routes(ui: Blueprint, c: Console) -> None:
    @ui.get("/dashboard")
    def dashboard():
        days = request.args.get("days", type=int) or dashboard_data.DEFAULT_SPAN
        if days not in dashboard_data.SPANS:
            abort(400, "days must be one of " + ", ".join(map(str, dashboard_data.SPANS)))
        s = c.services
        data = dashboard_data.dashboard(s.engine, s.settings.config, c.now(), days)
        return render_template("dashboard.html", data=data, spans=dashboard_data.SPANS)


# --- the review ----------------------------------------------------------------------------------
def _review_routes(ui: Blueprint, c: Console) -> None:
    s = c.services

    def page(result: Exchange | None = None, error: str | None = None):
        """Candidates (mined first), the month's weakest patterns, and the character files' problems."""
        admin = s.admin
        if admin is None:
            raise RuntimeError("the review reads through the admin tools, and these services have none")
        report = admin.report("month", c.now())
        check = check_characters(s.characters.root)
        return render_template(
            "review.html",
            candidates=review.open_candidates(admin),
            weakest=review.weakest(report, s.characters.current, s.characters.root),
            report=report,
            problems=[where(p) for p in check.problems],
            summary=check.summary,
            result=result,
            error=error,
        )

    def as_admin(command: str):
        """The command through the core as the console's admin; the page then shows her answer."""
        exchange = c.sim.say(Fan(c.admin_id), command, c.now())
        return redirect(url_for("ui.review_get", result=exchange.id))

    @ui.get("/review")
    def review_get():
        return page(result=c.sim.exchange(request.args.get("result", type=int)))

    @ui.post("/review/<int:cand_id>/approve")
    def approve(cand_id: int):
        edited = request.form.get("replies", "").splitlines()
        try:  # the replies as the page showed them: an added line is "+ …", any other change replaces
            command = review.approve_command(cand_id, edited, request.form.getlist("original"),
                                             request.form.get("threshold"),
                                             request.form.get("default_threshold", type=float))  # fmt: skip
        except review.ReviewError as exc:
            return page(error=str(exc)), 400
        return as_admin(command)

    @ui.post("/review/<int:cand_id>/reject")
    def reject(cand_id: int):
        return as_admin(review.reject_command(cand_id))


def _layer2_state(services) -> str:
    if not services.layer2.enabled:
        return "off (no OPENAI_API_KEY or OPENAI_BASE_URL): Layer 1 and fixed lines only"
    return "on: replies that reach Layer 2 call the model and cost yen"


def _retiring(services, now: datetime) -> list[str]:
    """A banner line per configured model that shuts down soon (the worker's last reading)."""
    cfg = services.settings.config
    reading = lifecycle.parse_reading(services.store.state(lifecycle.STATE_KEY))
    return [w.short() for w in lifecycle.warnings(cfg, reading, now.date())]


def _database_label(url: str) -> str:
    """The database without its password (``postgresql://bot:***@db/botan``)."""
    return make_url(url).render_as_string(hide_password=True)
