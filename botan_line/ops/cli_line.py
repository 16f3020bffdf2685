"""Operator subcommands for LINE itself: `richmenu sync|remove`, and the push quota for `stats`."""

from __future__ import annotations

import sys
from datetime import datetime
from types import SimpleNamespace


def _line(settings, characters):
    from botan_line.wiring import line_edge

    settings.require_line()
    return line_edge(settings, lambda: characters.current)


def cmd_richmenu(args) -> int:
    """Create or update one rich menu per sister (and set the default), or remove every one sync made."""
    from botan_line.characters.loader import CharacterStore
    from botan_line.ops import richmenu
    from botan_line.settings import Settings
    from botan_line.storage.db import connect

    settings = Settings.from_env()
    characters = CharacterStore(settings.characters_dir)
    engine = connect(settings.database_url)
    edge = _line(settings, characters)
    if args.action == "remove":
        deleted = richmenu.remove(edge, engine)
        print(f"removed {len(deleted)} rich menu(s) made by sync")
        return 0
    result = richmenu.sync(edge, engine, characters.current, settings.characters_dir, args.size)
    for sid in characters.current.sisters:
        state = "created" if sid in result.created else "unchanged"
        menu = result.created.get(sid) or result.kept.get(sid)
        print(f"{sid}: {state} {menu} (image {result.images.get(sid)})")
    print(f"default: {result.default}{' (set now)' if result.default_changed else ''}")
    print(
        f"deleted {len(result.deleted)} old menu(s); linked {result.relinked} fan(s) to their sister's new menu"
    )
    if not settings.rich_menu:
        print("note: BOTAN_RICH_MENU is off, so switching sister does not link fans' menus", file=sys.stderr)
    return 0


def push_usage(settings, engine, now: datetime):
    """This month's pushes against the quota: read from LINE now when credentials are set (and kept
    as the shared reading), else the last reading the worker stored."""
    from botan_line.core import quota
    from botan_line.storage.store import Store

    store = Store(engine)
    if settings.line_channel_access_token:
        from botan_line.characters.loader import CharacterStore
        from botan_line.doors.line_actions import LineSide

        try:
            characters = CharacterStore(settings.characters_dir)
            services = SimpleNamespace(settings=settings, store=store, edge=_line(settings, characters))
            LineSide(services, lambda: now.timestamp()).refresh()
        except Exception as exc:  # the report still shows our own count
            print(f"warning: the quota could not be read from LINE ({type(exc).__name__})", file=sys.stderr)
    return quota.usage(store, now)


def register(sub) -> None:
    p = sub.add_parser("richmenu", help="one rich menu per sister on LINE: sync (create/update) or remove")
    p.add_argument("action", choices=("sync", "remove"))
    p.add_argument("--size", choices=("compact", "full"), default="compact", help="2500×843 or 2500×1686")
    p.set_defaults(func=cmd_richmenu)
