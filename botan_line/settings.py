"""Settings: the environment is read once, here, into a frozen object that is passed down."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botan_line.config import BotConfig, load_config
from botan_line.errors import SettingsError

DEFAULT_LINE_API = "https://api.line.me"
DEFAULT_LINE_DATA_API = "https://api-data.line.me"  # rich menu images (and other content) live here
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_PACKAGE = Path(__file__).resolve().parent


def default_characters_dir() -> Path:
    """The character files that come with the code, used when BOTAN_CHARACTERS_DIR is not set.

    In an installed wheel they are ``botan_line/default_characters`` (``setup.py`` maps the
    checkout's ``characters/`` folder there); in a checkout, that folder itself. Never the
    current directory: a command must not depend on where it is started.
    """
    packaged = _PACKAGE / "default_characters"
    return packaged if packaged.is_dir() else _PACKAGE.parent / "characters"


def log_level(raw: str, default: str) -> str:
    """BOTAN_LOG_LEVEL, checked: a typo stops start-up with one line instead of a traceback."""
    level = (raw or default).strip().upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"BOTAN_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return level


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _int(name: str, raw: str, minimum: int = 0) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(name: str, raw: str, minimum: float = 0.0) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not value >= minimum:  # also refuses nan
        raise SettingsError(f"{name} must be at least {minimum:g}, got {raw}")
    return value


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str = ""
    characters_dir: Path = field(default_factory=default_characters_dir)
    line_channel_secret: str = field(default="", repr=False)
    line_channel_access_token: str = field(default="", repr=False)
    line_api_base_url: str = DEFAULT_LINE_API
    line_api_data_url: str = ""  # default: api-data.line.me with the real API, else LINE_API_BASE_URL
    openai_api_key: str = field(default="", repr=False)
    openai_base_url: str = ""
    admin_user_ids: frozenset[str] = frozenset()
    timezone: str = "Asia/Tokyo"
    push_fallback: bool = False
    rich_menu: bool = True  # link each fan's rich menu to their sister (after `botan-line richmenu sync`)
    worker: bool = True  # run the inbox worker in the elected process
    layer2_slots: int = 32  # Layer 2 calls in flight at once
    send_threads: int = 4  # LINE sends in flight at once (more threads only fight over the GIL)
    merge_seconds: float = 1.5  # bubbles this close together are answered by one Layer 2 call
    lease_seconds: float = 15.0
    retention_days: int = 30
    poll_seconds: float = 0.05  # the worker's pause when the inbox is empty
    line_timeout_seconds: float = 5.0
    web_concurrency: int = 2  # gunicorn worker processes
    bind: str = "127.0.0.1:8000"
    config: BotConfig = field(default_factory=BotConfig)

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.data_dir / 'botan.db'}")
        if not self.line_api_data_url:
            data = (
                DEFAULT_LINE_DATA_API
                if self.line_api_base_url == DEFAULT_LINE_API
                else self.line_api_base_url
            )
            object.__setattr__(self, "line_api_data_url", data)
        self.check()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def llm_enabled(self) -> bool:
        return bool(self.openai_api_key or self.openai_base_url)

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        get = env.get
        data_dir = Path(get("BOTAN_DATA_DIR", "var"))
        tz = get("BOTAN_TIMEZONE", "Asia/Tokyo")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                f"BOTAN_TIMEZONE: unknown time zone {tz!r} (use an IANA name like Asia/Tokyo)"
            ) from None
        line_base = get("LINE_API_BASE_URL", DEFAULT_LINE_API).rstrip("/")
        line_data = get("LINE_API_DATA_BASE_URL", "").rstrip("/")
        urls = (("LINE_API_BASE_URL", line_base), ("LINE_API_DATA_BASE_URL", line_data),
                ("OPENAI_BASE_URL", get("OPENAI_BASE_URL", "")))  # fmt: skip
        for name, url in urls:
            if url and not url.startswith(("http://", "https://")):
                raise SettingsError(f"{name} must start with http:// or https://")
        db_url = get("BOTAN_DATABASE_URL", "")
        if db_url and "://" not in db_url:
            raise SettingsError("BOTAN_DATABASE_URL must be a SQLAlchemy URL like sqlite:///var/botan.db")
        config_path = get("BOTAN_CONFIG", "")
        chars = get("BOTAN_CHARACTERS_DIR", "")
        port = _int("PORT", get("PORT", "8000"), 1)
        bind = get("BOTAN_BIND", "") or f"127.0.0.1:{port}"
        if ":" not in bind and not bind.startswith("unix:"):
            raise SettingsError(f"BOTAN_BIND must be HOST:PORT (like 127.0.0.1:8000), got {bind!r}")
        log_level(get("BOTAN_LOG_LEVEL", ""), "INFO")
        admins = frozenset(u.strip() for u in get("BOTAN_ADMIN_USER_IDS", "").split(",") if u.strip())
        for user_id in admins:
            if not (user_id.startswith("U") and len(user_id) >= 2):
                raise SettingsError(
                    "BOTAN_ADMIN_USER_IDS must be comma-separated LINE user IDs starting with U"
                )
        return cls(
            data_dir=data_dir,
            database_url=db_url,
            characters_dir=Path(chars) if chars else default_characters_dir(),
            line_channel_secret=get("LINE_CHANNEL_SECRET", ""),
            line_channel_access_token=get("LINE_CHANNEL_ACCESS_TOKEN", ""),
            line_api_base_url=line_base,
            line_api_data_url=line_data,
            openai_api_key=get("OPENAI_API_KEY", ""),
            openai_base_url=get("OPENAI_BASE_URL", "").rstrip("/"),
            admin_user_ids=admins,
            timezone=tz,
            push_fallback=_bool("BOTAN_PUSH_FALLBACK", get("BOTAN_PUSH_FALLBACK", "false")),
            rich_menu=_bool("BOTAN_RICH_MENU", get("BOTAN_RICH_MENU", "true")),
            worker=_bool("BOTAN_WORKER", get("BOTAN_WORKER", "true")),
            layer2_slots=_int("BOTAN_LAYER2_SLOTS", get("BOTAN_LAYER2_SLOTS", "32"), 1),
            send_threads=_int("BOTAN_SEND_THREADS", get("BOTAN_SEND_THREADS", "4"), 1),
            merge_seconds=_float("BOTAN_MERGE_SECONDS", get("BOTAN_MERGE_SECONDS", "1.5")),
            lease_seconds=_float("BOTAN_LEASE_SECONDS", get("BOTAN_LEASE_SECONDS", "15"), 3),
            retention_days=_int("BOTAN_RETENTION_DAYS", get("BOTAN_RETENTION_DAYS", "30"), 1),
            web_concurrency=_int("WEB_CONCURRENCY", get("WEB_CONCURRENCY", "2"), 1),
            bind=bind,
            config=load_config(Path(config_path)) if config_path else BotConfig(),
        )

    def check(self) -> None:
        """Settings that must fit each other (and LINE's one-minute reply window) to work at all."""
        from botan_line.core.delivery import REPLY_WINDOW_SECONDS as window

        if self.lease_seconds >= window / 2:
            raise SettingsError(
                f"BOTAN_LEASE_SECONDS must be under {window / 2:g} (half the {window:g} s reply window), so a "
                f"dead worker's events are taken over and answered in time; got {self.lease_seconds:g}"
            )
        if self.lease_seconds < 10 * self.poll_seconds:
            raise SettingsError(
                f"BOTAN_LEASE_SECONDS must be at least {10 * self.poll_seconds:g} (renewed every third)"
            )
        if self.merge_seconds >= window / 5:
            raise SettingsError(
                f"BOTAN_MERGE_SECONDS must be under {window / 5:g}, got {self.merge_seconds:g}"
            )
        llm = self.config.llm
        if llm.timeout_seconds + self.merge_seconds >= window:
            raise SettingsError(
                f"llm.timeout_seconds ({llm.timeout_seconds:g}) plus BOTAN_MERGE_SECONDS must stay under the "
                f"{window:g} s reply window"
            )

    def require_line(self) -> None:
        """The webhook cannot run without its LINE credentials."""
        if not self.line_channel_secret:
            raise SettingsError(
                "LINE_CHANNEL_SECRET is not set (find it in the LINE Developers console, Basic settings)"
            )
        if not self.line_channel_access_token:
            raise SettingsError(
                "LINE_CHANNEL_ACCESS_TOKEN is not set (issue one in the LINE Developers console, Messaging API tab)"
            )
