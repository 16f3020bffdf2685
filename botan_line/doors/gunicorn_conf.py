"""gunicorn settings shared by the systemd unit, the Procfile and `botan-line serve`.

Runs in the master before any worker is forked:
- a short-lived child checks the settings and the character files and applies pending database
  migrations (``ops/preflight.py``), so a bad deployment stops with one clear message instead of
  crash-looping workers (in a child, so the master never holds the parsed files). The master then
  exits with the child's status: 2 for a configuration error, which the systemd unit does not
  restart (``RestartPreventExitStatus=2``), 1 for anything else, which it does;
- the app (Flask, SQLAlchemy, the engine) is built once and frozen out of the garbage collector,
  so the forked workers share those pages; each worker joins the worker election after the fork.
"""

import gc
import logging
import os
import sys

import botan_line.doors.webhook  # noqa: F401  (the lean web stack only; no LINE/OpenAI SDK)
from botan_line.settings import Settings, log_level

_pid = os.fork()
if _pid == 0:  # the child: check, migrate, report, leave (exit 2 = configuration error, see preflight)
    try:
        from botan_line.doors.preflight import check

        _code, _lines = check()
    except BaseException as _exc:  # never a traceback at start-up
        _code, _lines = 1, [f"error: start-up check failed: {type(_exc).__name__}: {_exc}"]
    if _lines:
        print("\n".join(_lines), file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_code)
_code = os.waitstatus_to_exitcode(os.waitpid(_pid, 0)[1])
if _code:
    sys.exit(_code)

_settings = Settings.from_env()  # checked by the child just now
# the app's own log lines (journald adds the time): level and logger name, like gunicorn's
logging.basicConfig(
    level=log_level(os.environ.get("BOTAN_LOG_LEVEL", ""), "INFO"),
    stream=sys.stderr,
    format="[%(process)d] %(levelname)s %(name)s: %(message)s",
)

# The app is built once in the master and shared by the forked workers (preload); each worker then
# drops the pooled database connections it inherited and joins the worker election (post_fork).
wsgi_app = "botan_line.doors.webhook:create_app(start_workers=False)"
preload_app = True
bind = _settings.bind  # `botan-line serve --bind` and gunicorn's own --bind override it
workers = _settings.web_concurrency
graceful_timeout = 20


def post_fork(server, worker):
    from botan_line.doors.election import start_elected

    services = worker.app.wsgi().extensions["botan"]
    services.engine.dispose(close=False)  # never share the master's connections with a child
    start_elected(services.settings)


def when_ready(server):
    gc.collect()
    gc.freeze()  # the app and its imports stay shared: the GC never writes to frozen objects
