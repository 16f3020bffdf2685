"""`botan-line richmenu sync`: one rich menu per sister on LINE, kept in step with the character files.

Each sister's menu has one area per sister (a postback ``sister=<id>``, the same one quick replies
send, so tapping switches) and a help area (sends ``/help``); her own area is drawn lit. The image
is the sister's ``characters/<id>/richmenu.png`` when the folder ships one (exactly the menu's size,
≤ 1 MB), otherwise generated here with Pillow — imported by this command only, never by the service.

Sync is idempotent: every menu it makes is named ``botan-line:<sister>:<digest>`` and recorded in
``rich_menus``; a menu whose JSON and image are unchanged is kept, a changed one is replaced (its
fans are re-linked to the new one first), menus it made earlier that are no longer wanted are
deleted, and the default sister's menu becomes the default. Menus made by other tools are left alone.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from botan_line.characters.loader import DEFAULT_SISTER, CharacterSet
from botan_line.errors import BotanError
from botan_line.storage.db import rich_menus, users

PREFIX = "botan-line:"
SIZES = {"compact": (2500, 843), "full": (2500, 1686)}
MAX_IMAGE = 1024 * 1024
PALETTE = ("#d6457a", "#5c7cfa", "#9c6ade", "#20c997", "#fd7e14", "#339af0")  # by sister order
HELP = "/help"


@dataclass
class SyncResult:
    created: dict[str, str] = field(default_factory=dict)  # sister → new menu id
    kept: dict[str, str] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    default: str | None = None
    default_changed: bool = False
    relinked: int = 0
    images: dict[str, str] = field(default_factory=dict)  # sister → shipped | generated


def _grid(count: int, size: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """Bounds of ``count`` sister areas and one help area: one row (compact) or sisters over help (full)."""
    width, height = size
    if height == SIZES["compact"][1]:
        cols = count + 1
        xs = [round(i * width / cols) for i in range(cols + 1)]
        return [(xs[i], 0, xs[i + 1] - xs[i], height) for i in range(cols)]
    top = round(height * 0.7)
    xs = [round(i * width / count) for i in range(count + 1)]
    return [(xs[i], 0, xs[i + 1] - xs[i], top) for i in range(count)] + [(0, top, width, height - top)]


def menu_json(chars: CharacterSet, sister: str, size_name: str) -> dict:
    """The ``RichMenuRequest`` for ``sister``'s menu (without its name, which carries the digest)."""
    size = SIZES[size_name]
    ids = list(chars.sisters)
    bounds = _grid(len(ids), size)
    areas = []
    for sid, (x, y, w, h) in zip(ids, bounds, strict=False):
        name = chars.persona(sid).display_name
        action = {
            "type": "postback",
            "label": name[:20],
            "data": f"sister={sid}",
            "displayText": f"{name}と話す",
        }
        areas.append({"bounds": {"x": x, "y": y, "width": w, "height": h}, "action": action})
    x, y, w, h = bounds[-1]
    areas.append({"bounds": {"x": x, "y": y, "width": w, "height": h},
                  "action": {"type": "message", "label": "ヘルプ", "text": HELP}})  # fmt: skip
    chat_bar = f"{chars.persona(sister).display_name}と話す"
    return {"size": {"width": size[0], "height": size[1]}, "selected": True,
            "chatBarText": chat_bar[:14], "areas": areas}  # fmt: skip


def png_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def image_for(chars: CharacterSet, root: Path, sister: str, size_name: str) -> tuple[bytes, str]:
    """(PNG bytes, shipped|generated): the folder's richmenu.png if it has one, else a drawn one."""
    size = SIZES[size_name]
    shipped = Path(root) / sister / "richmenu.png"
    if shipped.is_file():
        data = shipped.read_bytes()
        if png_size(data) != size or len(data) > MAX_IMAGE:
            raise BotanError(f"{shipped}: must be a PNG of exactly {size[0]}×{size[1]} and at most 1 MB")
        return data, "shipped"
    return draw(chars, sister, size_name), "generated"


def draw(chars: CharacterSet, sister: str, size_name: str) -> bytes:
    """A plain, readable menu: one panel per sister (hers lit, with a bar), and a help panel."""
    from PIL import Image, ImageDraw, ImageFont  # the CLI only: the service never imports Pillow

    size = SIZES[size_name]
    ids = list(chars.sisters)
    image = Image.new("RGB", size, "#f8f9fa")
    pen = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=round(size[1] * (0.16 if size_name == "compact" else 0.1)))
    small = ImageFont.load_default(size=round(size[1] * (0.08 if size_name == "compact" else 0.05)))
    for i, (sid, (x, y, w, h)) in enumerate(zip(ids, _grid(len(ids), size), strict=False)):
        color = PALETTE[i % len(PALETTE)]
        lit = sid == sister
        pen.rectangle(
            [x + 12, y + 12, x + w - 12, y + h - 12], fill=color if lit else "#ffffff", outline=color, width=8
        )
        ink = "#ffffff" if lit else color
        pen.text((x + w / 2, y + h / 2), sid.upper(), fill=ink, font=font, anchor="mm")
        if lit:
            pen.text((x + w / 2, y + h * 0.8), "NOW", fill=ink, font=small, anchor="mm")
    x, y, w, h = _grid(len(ids), size)[-1]
    pen.rectangle([x + 12, y + 12, x + w - 12, y + h - 12], fill="#e9ecef", outline="#adb5bd", width=8)
    pen.text((x + w / 2, y + h / 2), "HELP ?", fill="#495057", font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def digest(menu: dict, image: bytes) -> str:
    return hashlib.sha256(json.dumps(menu, sort_keys=True).encode() + image).hexdigest()


def _stored(engine: Engine) -> dict[str, tuple[str, str]]:
    with engine.connect() as conn:
        return {r.sister: (r.rich_menu_id, r.digest) for r in conn.execute(select(rich_menus))}


def _record(engine: Engine, sister: str, menu_id: str, dig: str) -> None:
    mod = postgresql if engine.dialect.name == "postgresql" else sqlite
    values = dict(sister=sister, rich_menu_id=menu_id, digest=dig, created_at=time.time())
    stmt = mod.insert(rich_menus).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=["sister"], set_=dict(rich_menu_id=menu_id, digest=dig))
    with engine.begin() as conn:
        conn.execute(stmt)


def _fans_of(engine: Engine, sister: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(users.c.user_id).where(
            users.c.sister == sister, users.c.active.is_(True), users.c.user_id.like("U%"))))  # fmt: skip


def sync(edge, engine: Engine, chars: CharacterSet, root: Path, size_name: str = "compact") -> SyncResult:
    """Make LINE's rich menus match the character files (see the module docstring)."""
    result = SyncResult()
    on_line = {mid for mid, name in edge.rich_menus() if (name or "").startswith(PREFIX)}
    stored = _stored(engine)
    wanted: dict[str, str] = {}
    for sid in chars.sisters:
        menu = menu_json(chars, sid, size_name)
        image, origin = image_for(chars, root, sid, size_name)
        result.images[sid] = origin
        dig = digest(menu, image)
        old = stored.get(sid)
        if old and old[1] == dig and old[0] in on_line:
            wanted[sid] = result.kept[sid] = old[0]
            continue
        menu_id = edge.create_rich_menu({**menu, "name": f"{PREFIX}{sid}:{dig[:12]}"}, image, "image/png")
        _record(engine, sid, menu_id, dig)
        wanted[sid] = result.created[sid] = menu_id
        fans = [] if sid == DEFAULT_SISTER else _fans_of(engine, sid)
        if fans:  # fans of a replaced (or first) menu see the new one before the old one goes
            edge.link_rich_menu_bulk(fans, menu_id)
            result.relinked += len(fans)
    default = wanted.get(DEFAULT_SISTER) or next(iter(wanted.values()), None)
    if default and edge.default_rich_menu() != default:
        edge.set_default_rich_menu(default)
        result.default_changed = True
    result.default = default
    for menu_id in sorted(on_line - set(wanted.values())):
        edge.delete_rich_menu(menu_id)
        result.deleted.append(menu_id)
    gone = [sid for sid in stored if sid not in wanted]
    if gone:
        with engine.begin() as conn:
            conn.execute(delete(rich_menus).where(rich_menus.c.sister.in_(gone)))
    return result


def remove(edge, engine: Engine) -> list[str]:
    """Delete every menu sync made (fans fall back to LINE's default or none); forget them."""
    deleted = []
    for menu_id, name in edge.rich_menus():
        if (name or "").startswith(PREFIX):
            edge.delete_rich_menu(menu_id)
            deleted.append(menu_id)
    with engine.begin() as conn:
        conn.execute(delete(rich_menus))
    return deleted
