"""Slash-commands: a table of registered functions whose docstring is the help text.

``admin_only`` and ``in_groups`` are data, checked in one place (``Commands.run``). A non-admin
sending an admin command gets exactly the unknown-command answer, and the attempt is logged.
Every sister gets her own ``/<id>`` command from the character files, so a fourth folder needs no
code. Commands never reach Layer 1 or Layer 2 and never cost anything; what they change travels as
effects in the Decision (an approval too: checked by :class:`AdminTools`, written with the reply),
except reloading and ``/learn``. A ``slow`` command (``/candidates`` mines in a child process,
``/approve``, ``/learn`` and ``/reload`` load every character file) is run in the worker's
Layer 2 lane, so it never holds up the fast lane.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from botan_line.core import announce, cards, optin, quota, stats
from botan_line.core.conversation import TurnContext, switch_decision
from botan_line.core.layer2 import BUDGET_KEY, PAUSED_KEY, budget, lifecycle
from botan_line.core.layers import command_text, command_words
from botan_line.core.model import FLEX, Decision, Forget, SetState
from botan_line.core.ports import AdminTools
from botan_line.errors import LearningError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Command:
    name: str
    func: Callable[[CommandContext], Decision | str]
    admin_only: bool
    usage: str
    in_groups: bool  # harmless in front of a whole group (no IDs, no reports)
    slow: bool = False  # takes seconds: run in the Layer 2 lane (``SlowCommand``), never the fast lane

    @property
    def help(self) -> str:
        return (self.func.__doc__ or "").strip().splitlines()[0]


@dataclass(frozen=True)
class CommandContext:
    """What a command reads: the turn as the layers see it, its argument, and the admin tools."""

    turn: TurnContext
    arg: str
    admin: AdminTools | None
    time_left: float | None = None  # a slow command: seconds of reply-token life left
    typed: str = ""  # the argument as typed, not NFKC-normalised: for text a sister will say

    @property
    def is_admin(self) -> bool:
        return self.turn.is_admin

    @property
    def tools(self) -> AdminTools:
        """The admin tools (an admin command runs only on a bot that has them)."""
        if self.admin is None:
            raise RuntimeError("admin commands need the admin tools (wiring.build binds them)")
        return self.admin

    @property
    def in_group(self) -> bool:
        return self.turn.turn.chat == "group"


@dataclass(frozen=True)
class SlowCommand:
    """A slow command, checked and parsed, waiting for the Layer 2 lane (``CommandLayer.run``)."""

    command: Command
    arg: str


class Commands:
    def __init__(self, admin: AdminTools | None = None):
        self.table: dict[str, Command] = {}
        self.admin = admin

    def command(
        self,
        name: str,
        *,
        admin_only: bool = False,
        usage: str = "",
        in_groups: bool = False,
        slow: bool = False,
    ):
        def register(func):
            self.table[name] = Command(name, func, admin_only, usage, in_groups, slow)
            return func

        return register

    def bind(self, admin: AdminTools | None) -> Commands:
        """The same table with the admin tools of one running bot."""
        bound = Commands(admin)
        bound.table = self.table
        return bound

    def listing(self, ctx: TurnContext) -> list[tuple[str, str, bool]]:
        """(usage, help, admin_only) of every command this user may run here, sisters' commands included."""
        group = ctx.turn.chat == "group"
        rows = []
        for c in self.table.values():
            if (c.admin_only and (not ctx.is_admin or group)) or (group and not c.in_groups):
                continue
            rows.append((f"/{c.name}{' ' + c.usage if c.usage else ''}", c.help, c.admin_only))
            if c.name == "help":
                rows += [
                    (f"/{sid}", f"{s.persona.display_name}と話す", False)
                    for sid, s in ctx.chars.sisters.items()
                ]
        return rows

    def run(self, ctx: TurnContext) -> Decision | SlowCommand:
        """The command's answer, or (``slow`` commands) what ``execute`` will run in the Layer 2 lane."""
        name, _, arg = (command_text(ctx.turn.text) or "/")[1:].partition(" ")
        name = name.lower()
        if name in ctx.chars.sisters:  # /botan, /kasho, /yuri …: one per character folder
            return switch_decision(ctx, name)
        cmd = self.table.get(name)
        if cmd is not None and cmd.admin_only and not ctx.is_admin:
            log.warning("non-admin tried an admin command: /%s", name[:20])
            cmd = None
        if cmd is not None and ctx.turn.chat == "group" and not cmd.in_groups:
            cmd = None  # user IDs, reports and admin switches stay out of group chats
        if cmd is None:
            decision = ctx.say_line("unknown_command", "command")
            return decision.record(pattern="unknown")  # a non-admin cannot tell an admin command from a typo
        if cmd.slow:
            return SlowCommand(cmd, arg.strip())
        return self.execute(ctx, cmd, arg.strip())

    def execute(self, ctx: TurnContext, cmd: Command, arg: str, time_left: float | None = None) -> Decision:
        typed = command_words(ctx.turn.text)
        result = cmd.func(CommandContext(ctx, arg, self.admin, time_left, typed))
        name = cmd.name
        if isinstance(result, str):
            return ctx.reply(result, "command", pattern=name)
        if result.ledger is not None and not result.ledger.pattern:
            result.ledger.pattern = name
        return result


commands = Commands()
command = commands.command


@command("help", in_groups=True)
def _help(ctx: CommandContext) -> str:
    """使えるコマンドの一覧"""
    lines = ["使えるコマンド:"]
    for usage, text, admin_only in commands.listing(ctx.turn):
        lines.append(f"{usage} … {text}{'（管理者）' if admin_only else ''}")
    return "\n".join(lines)


@command("forget")
def _forget(ctx: CommandContext) -> Decision:
    """会話の記録をぜんぶ消す（配信通知もオフに）"""
    decision = ctx.turn.say_line("forget", "command")
    decision.effects.append(Forget(ctx.turn.user.user_id))
    return decision


@command("whoami")
def _whoami(ctx: CommandContext) -> str:
    """自分のLINEユーザーIDを表示"""
    role = "管理者" if ctx.is_admin else "ユーザー"
    uid = ctx.turn.user.user_id
    notify = "オン（/notify off で止める）" if ctx.turn.user.notify else "オフ（/notify on で受け取る）"
    return (
        f"あなたのユーザーID: {uid}\n権限: {role}\n配信通知: {notify}\n"
        "（管理者にするには BOTAN_ADMIN_USER_IDS にこのIDを追加）"
    )


@command("notify", usage="on | off")
def _notify(ctx: CommandContext) -> Decision | str:
    """配信のお知らせを受け取る（on）・止める（off）"""
    arg = ctx.arg.strip().lower()
    if arg in ("on", "おん", "オン"):
        return optin.confirm(ctx.turn, True, "command")
    if arg in ("off", "おふ", "オフ"):
        return optin.confirm(ctx.turn, False, "command")
    now = "オン" if ctx.turn.user.notify else "オフ"
    return f"配信通知はいま{now}です。/notify on で受け取る、/notify off で止める。"


@command("reload", admin_only=True, slow=True)  # loads and checks every character file
def _reload(ctx: CommandContext) -> str:
    """キャラクターファイルを再読み込み"""
    problems, chars = ctx.tools.reload()
    if problems:
        shown = "\n".join(problems[:5])
        more = f"\n…ほか{len(problems) - 5}件" if len(problems) > 5 else ""
        return f"読み込み失敗。今のファイルのまま続けます。\n{shown}{more}"
    counts = "、".join(f"{s.persona.display_name} {len(s.patterns)}" for s in chars.sisters.values())
    return f"再読み込みしました（パターン数: {counts}）"


def _switch_state(key: str, value: str, text: str) -> Callable[[CommandContext], Decision]:
    def run(ctx: CommandContext) -> Decision:
        return ctx.turn.reply(text, "command", effects=[SetState(key, value)])

    return run


@command("pause", admin_only=True)
def _pause(ctx: CommandContext) -> Decision:
    """Layer 2（AI応答）を止める"""
    text = "Layer 2を停止しました。Layer 1と定型文だけで応答します。/resume で再開。"
    return _switch_state(PAUSED_KEY, "1", text)(ctx)


@command("resume", admin_only=True)
def _resume(ctx: CommandContext) -> Decision:
    """Layer 2を再開する"""
    enabled = ctx.admin is not None and ctx.admin.layer2_enabled
    state = "再開しました。" if enabled else "再開しましたが、APIキーが未設定なのでLayer 2はオフのままです。"
    return _switch_state(PAUSED_KEY, "0", f"Layer 2を{state}")(ctx)


@command("budget", admin_only=True, usage="[円]")
def _budget(ctx: CommandContext) -> Decision | str:
    """今月の予算の確認・変更"""
    cfg = ctx.tools.cfg
    b = budget(ctx.turn.reads, cfg, ctx.turn.now)
    monthly, effects = b.monthly, []
    if ctx.arg:
        try:
            monthly = float(ctx.arg.replace(",", "").replace("円", "").replace("¥", ""))
            if not math.isfinite(monthly) or monthly < 0:
                raise ValueError
        except ValueError:
            return "金額は数字で指定してね（例: /budget 3000）"
        effects.append(SetState(BUDGET_KEY, f"{monthly:g}"))
    share = f"{b.spent / monthly:.0%}" if monthly else "-"
    text = (
        f"今月の予算: ¥{monthly:,.0f}\n使用済み: ¥{b.spent:,.1f}（{share}）\n"
        f"節約モード開始: ¥{monthly * b.soft_ratio:,.0f}\n1人1日のAI応答上限: {cfg.budget.per_user_daily_calls}回"
    )
    return ctx.turn.reply(text, "command", effects=effects)


@command("candidates", admin_only=True, usage="[text]", slow=True)
def _candidates(ctx: CommandContext) -> Decision | str:
    """Layer 1に追加する候補の一覧"""
    found, mined = ctx.tools.candidates(10, ctx.time_left)
    note = "" if mined else "（新しい集計は間に合いませんでした。前回までの候補です）\n"
    if not found:
        return note + "いま承認待ちの候補はありません。"
    names = {sid: s.persona.display_name for sid, s in ctx.turn.chars.sisters.items()}
    if ctx.arg.lower() != "text":  # a card per candidate with 承認 / 却下 buttons (ops/cards.py)
        alt, container = cards.candidates_card(found, names)
        return _card(ctx, note + alt, container)
    lines = [note + "承認待ちの候補（/approve 番号 [返事 | 返事…] か /reject 番号）:"]
    for c in found:
        if c.kind == "pattern":  # the cluster: its wordings, how many fans
            shown = "／".join(f"「{m['text'][:16]}」" for m in c.members[:3])
            what = shown + (f"ほか{len(c.members) - 3}件" if len(c.members) > 3 else "")
        else:
            what = f"{c.pattern_id}の言い換え"
        who = f"（{c.users}人）" if c.users else ""
        reply = c.replies[0][:40] if c.replies else "（返事なし: 承認のときに書いてください）"
        lines.append(f"#{c.id} {names.get(c.sister, c.sister)} {what}{who}\n　→ {reply}")
        lines += _meaning_summary(c)
    return "\n".join(lines)


def _meaning_summary(c) -> list[str]:
    """Under a question candidate: what else it would answer, what it will not, its threshold."""
    out = [f"　⚠ {c.note}"] if getattr(c, "note", None) else []
    meaning = getattr(c, "meaning", None)
    if meaning:
        would = "／".join(f"「{w['text'][:14]}」" for w in getattr(c, "would", ())[:2])
        wont = "／".join(f"「{w['text'][:14]}」" for w in getattr(c, "wont", ())[:2])
        out.append(
            f"　言い換えにも答えます（しきい値{meaning.get('threshold', 0.75):g}、/approve {c.id} しきい値0.9 で厳しく）"
        )
        out += [f"　○ {would}"] if would else []
        out += [f"　× {wont}"] if wont else []
    return out


def _card(ctx: CommandContext, alt: str, container: dict) -> Decision:
    """A Flex card from the current sister (``text`` is its plain-text altText)."""
    decision = ctx.turn.reply(alt, "command")
    decision.messages[0] = replace(decision.messages[0], kind=FLEX, flex=container)
    return decision


def _candidate_number(ctx: CommandContext) -> tuple[int | None, str]:
    """「12 返事…」 → (12, "返事…"); None when it does not start with a number."""
    number, *rest = ctx.typed.split(maxsplit=1) or [""]
    try:
        return int(number.lstrip("#＃")), rest[0].strip() if rest else ""
    except ValueError:
        return None, ""


def parse_edit(text: str | None) -> tuple[list[str] | None, bool]:
    """An admin's edit of a candidate's replies: "A | B" replaces them, "+ A | B" adds to them."""
    text = (text or "").replace("｜", "|").strip()
    if not text:
        return None, False
    add = text.startswith(("+", "＋"))
    lines = [r.strip() for r in text.lstrip("+＋").split("|") if r.strip()]
    return (lines or None), add


@command("approve", admin_only=True, usage="番号 [返事 | 返事…]", slow=True)  # checking loads every file
def _approve(ctx: CommandContext) -> Decision | str:
    """候補を承認してLayer 1に追加（返事を書くと差し替え、先頭に + で追加）"""
    cand_id, edit = _candidate_number(ctx)
    if cand_id is None:
        return (
            "番号を指定してね（例: /approve 12、/approve 12 新しい返事 | もう一つ、/approve 12 + 追加の返事）"
        )
    replies, add = parse_edit(edit)
    try:
        effect = ctx.tools.approval(cand_id, ctx.turn.user.user_id, replies, add)
    except LearningError as exc:
        return str(exc)
    text = f"#{cand_id} を承認しました（返事{len(effect.replies)}件）。数秒以内にすべての応答で使われます。"
    return ctx.turn.reply(text, "command", effects=[effect])


@command("reject", admin_only=True, usage="番号")
def _reject(ctx: CommandContext) -> Decision | str:
    """候補を却下"""
    cand_id, _ = _candidate_number(ctx)
    if cand_id is None:
        return "番号を指定してね（例: /reject 12）"
    try:
        effect = ctx.tools.rejection(cand_id, ctx.turn.user.user_id)
    except LearningError as exc:
        return str(exc)
    return ctx.turn.reply(f"#{cand_id} を却下しました。", "command", effects=[effect])


@command("learn", admin_only=True, usage="姉妹 言葉 => 返事", slow=True)
def _learn(ctx: CommandContext) -> str:
    """レビュー済みのパターンを直接追加"""
    sister, *rest = ctx.typed.split(maxsplit=1) or [""]
    trigger, sep, replies = (rest[0] if rest else "").replace("＝＞", "=>").partition("=>")
    if not sep:
        return "書き方: /learn botan 推し活 => わかる〜！推し活って最高だよね！（返事は | で複数）"
    lines = [r.strip() for r in replies.replace("｜", "|").split("|") if r.strip()]
    try:
        pattern_id = ctx.tools.learn(sister.strip().lower(), trigger.strip(), lines, ctx.turn.user.user_id)
    except LearningError as exc:
        return str(exc)
    return f"{sister.strip()} に {pattern_id} を追加しました（返事{len(lines)}件）。"


@command("stats", admin_only=True, usage="[today|week|month] [text]")
def _stats(ctx: CommandContext) -> Decision | str:
    """利用状況とコスト（Layer 1の割合、AI代、削減率、プッシュ通数）"""
    words = ctx.arg.lower().split()
    as_text = "text" in words
    kind = next((w for w in words if w != "text"), "today")
    if kind not in ("today", "week", "month") or len(words) > 2:
        return "期間は today / week / month のどれかだよ（例: /stats week、文字だけなら /stats week text）"
    report = ctx.tools.report(kind, ctx.turn.now)
    pushes = quota.usage(ctx.turn.reads, ctx.turn.now)
    names = stats.short_names(ctx.turn.chars)
    reading = lifecycle.parse_reading(ctx.turn.reads.state(lifecycle.STATE_KEY))
    retiring = [w.short() for w in lifecycle.warnings(ctx.tools.cfg, reading, ctx.turn.now.date())]
    if as_text:
        return "\n".join([stats.format_line(report, names), quota.line(pushes), *retiring])
    return _card(ctx, *cards.stats_card(report, names, pushes, kind, retiring))


@command("announce", admin_only=True, usage="[all] [at 日時] 姉妹 本文 | confirm | cancel [番号] | list")
def _announce(ctx: CommandContext) -> Decision | str:
    """配信通知をオンにしたファンへのお知らせ（プレビューと通数の確認のあと confirm で送信・予約。all は友だち全員）"""
    return announce.command(ctx)


def markdown_table(chars=None) -> str:
    """The README's command table, generated from this module (a test keeps the README in step)."""
    rows = ["| command | who | what |", "|---|---|---|"]
    for c in commands.table.values():
        usage = f" {c.usage}" if c.usage else ""
        usage = usage.replace("|", "\\|")
        rows.append(f"| `/{c.name}{usage}` | {'admins' if c.admin_only else 'everyone'} | {c.help} |")
        if c.name == "help" and chars is not None:
            rows += [
                f"| `/{sid}` | everyone | {s.persona.display_name}と話す |"
                for sid, s in chars.sisters.items()
            ]
    return "\n".join(rows)
