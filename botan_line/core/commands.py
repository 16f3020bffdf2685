"""Slash-commands: a table of registered functions whose docstring is the help text.

``admin_only`` is data, checked in one place (``Commands.run``). A non-admin sending an admin
command gets exactly the unknown-command answer, and the attempt is logged. Commands never reach
Layer 1 or Layer 2 and never cost anything.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from botan_line.core.model import Decision, LedgerEntry, Outgoing, Turn, UserState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Command:
    name: str
    func: Callable
    admin_only: bool
    usage: str
    in_groups: bool  # harmless in front of a whole group (no IDs, no reports)

    @property
    def help(self) -> str:
        return (self.func.__doc__ or "").strip().splitlines()[0]


class Commands:
    def __init__(self):
        self.table: dict[str, Command] = {}

    def command(self, name: str, *, admin_only: bool = False, usage: str = "", in_groups: bool = False):
        def register(func):
            self.table[name] = Command(name, func, admin_only, usage, in_groups)
            return func

        return register

    def visible_to(self, is_admin: bool) -> list[Command]:
        return [c for c in self.table.values() if is_admin or not c.admin_only]

    def run(self, pipeline, turn: Turn, user: UserState, band: str) -> Decision:
        name, _, arg = turn.text.strip()[1:].partition(" ")
        name = name.lower()
        cmd = self.table.get(name)
        is_admin = pipeline.is_admin(turn.user_id)
        if cmd is not None and cmd.admin_only and not is_admin:
            log.warning("non-admin tried an admin command: /%s", name)
            cmd = None
        if cmd is not None and turn.chat == "group" and not cmd.in_groups:
            cmd = None  # user IDs, reports and admin switches stay out of group chats
        if cmd is None:
            decision = pipeline.fixed_line(turn, "unknown_command", layer="command")
            decision.ledger.pattern = "unknown"
            return decision
        ctx = CommandContext(pipeline, turn, user, band, arg.strip(), is_admin)
        result = cmd.func(ctx)
        if isinstance(result, str):
            return _say(user, result, pattern=name)
        if result.ledger is not None and not result.ledger.pattern:
            result.ledger.pattern = name
        return result


@dataclass
class CommandContext:
    pipeline: object
    turn: Turn
    user: UserState
    band: str
    arg: str
    is_admin: bool


def _say(user: UserState, text: str, pattern: str) -> Decision:
    return Decision(
        messages=[Outgoing(user.sister, text)],
        ledger=LedgerEntry(user.user_id, user.sister, "command", pattern=pattern),
    )


commands = Commands()
command = commands.command


@command("help", in_groups=True)
def _help(ctx: CommandContext) -> str:
    """使えるコマンドの一覧"""
    lines = ["使えるコマンド:"]
    for c in commands.visible_to(ctx.is_admin and ctx.turn.chat != "group"):
        if ctx.turn.chat == "group" and not c.in_groups:
            continue
        usage = f" {c.usage}" if c.usage else ""
        mark = "（管理者）" if c.admin_only else ""
        lines.append(f"/{c.name}{usage} … {c.help}{mark}")
    return "\n".join(lines)


def _switch_to(sister: str):
    def run(ctx: CommandContext) -> Decision:
        return ctx.pipeline.switch(ctx.turn, sister)

    return run


for _sid, _doc in (("botan", "牡丹と話す"), ("kasho", "Kasho（花相）と話す"), ("yuri", "ユリと話す")):
    _f = _switch_to(_sid)
    _f.__doc__ = _doc
    command(_sid, in_groups=True)(_f)


@command("forget")
def _forget(ctx: CommandContext) -> Decision:
    """会話の記録をぜんぶ消す"""
    decision = ctx.pipeline.fixed_line(ctx.turn, "forget", layer="command")
    decision.forget = True
    return decision


@command("whoami")
def _whoami(ctx: CommandContext) -> str:
    """自分のLINEユーザーIDを表示"""
    role = "管理者" if ctx.is_admin else "ユーザー"
    return f"あなたのユーザーID: {ctx.turn.user_id}\n権限: {role}\n（管理者にするには BOTAN_ADMIN_USER_IDS にこのIDを追加）"


@command("reload", admin_only=True)
def _reload(ctx: CommandContext) -> str:
    """キャラクターファイルを再読み込み"""
    problems = ctx.pipeline.characters.reload()
    if problems:
        shown = "\n".join(problems[:5])
        more = f"\n…ほか{len(problems) - 5}件" if len(problems) > 5 else ""
        return f"読み込み失敗。今のファイルのまま続けます。\n{shown}{more}"
    chars = ctx.pipeline.characters.current
    counts = "、".join(f"{s.persona.display_name} {len(s.patterns)}" for s in chars.sisters.values())
    return f"再読み込みしました（パターン数: {counts}）"


@command("pause", admin_only=True)
def _pause(ctx: CommandContext) -> str:
    """Layer 2（AI応答）を止める"""
    from botan_line.core.layer2 import PAUSED_KEY

    ctx.pipeline.store.set_state(PAUSED_KEY, "1")
    return "Layer 2を停止しました。Layer 1と定型文だけで応答します。/resume で再開。"


@command("resume", admin_only=True)
def _resume(ctx: CommandContext) -> str:
    """Layer 2を再開する"""
    from botan_line.core.layer2 import PAUSED_KEY

    ctx.pipeline.store.set_state(PAUSED_KEY, "0")
    state = (
        "再開しました。"
        if ctx.pipeline.layer2.enabled
        else "再開しましたが、APIキーが未設定なのでLayer 2はオフのままです。"
    )
    return f"Layer 2を{state}"


@command("budget", admin_only=True, usage="[円]")
def _budget(ctx: CommandContext) -> str:
    """今月の予算の確認・変更"""
    from botan_line.clock import month_bounds
    from botan_line.core.layer2 import BUDGET_KEY

    l2 = ctx.pipeline.layer2
    if ctx.arg:
        try:
            yen = float(ctx.arg.replace(",", "").replace("円", "").replace("¥", ""))
            if not math.isfinite(yen) or yen < 0:
                raise ValueError
        except ValueError:
            return "金額は数字で指定してね（例: /budget 3000）"
        ctx.pipeline.store.set_state(BUDGET_KEY, f"{yen:g}")
    budget = l2.monthly_budget()
    spent = ctx.pipeline.store.spent_yen(*month_bounds(ctx.turn.now))
    soft = budget * l2.cfg.budget.soft_ratio
    share = f"{spent / budget:.0%}" if budget else "-"
    return (
        f"今月の予算: ¥{budget:,.0f}\n使用済み: ¥{spent:,.1f}（{share}）\n"
        f"節約モード開始: ¥{soft:,.0f}\n1人1日のAI応答上限: {l2.cfg.budget.per_user_daily_calls}回"
    )


@command("candidates", admin_only=True)
def _candidates(ctx: CommandContext) -> str:
    """Layer 1に追加する候補の一覧"""
    from botan_line.ops import learning

    p = ctx.pipeline
    cfg = p.layer2.cfg.learning
    learning.mine_in_child(
        p.store.engine,
        p.characters,
        min_users=cfg.min_distinct_users,
        max_replies=cfg.max_replies_per_candidate,
    )
    found = learning.open_candidates(p.store.engine, limit=10)
    if not found:
        return "いま承認待ちの候補はありません。"
    names = {sid: s.persona.display_name for sid, s in p.characters.current.sisters.items()}
    lines = ["承認待ちの候補（/approve 番号 [返事 | 返事…] か /reject 番号）:"]
    for c in found:
        if c.kind == "pattern":
            shown = "／".join(f"「{m['text'][:16]}」" for m in c.members[:3])
            more = f"ほか{len(c.members) - 3}件" if len(c.members) > 3 else ""
            what = f"{shown}{more}"
        else:
            what = f"{c.pattern_id}の言い換え"
        who = f"（{c.users}人）" if c.users else ""
        lines.append(f"#{c.id} {names.get(c.sister, c.sister)} {what}{who}\n　→ {c.replies[0][:40]}")
    return "\n".join(lines)


def _decide_candidate(ctx: CommandContext, name: str, done: str) -> str:
    """/approve and /reject: parse the number (and, for /approve, replacement or added replies)."""
    from botan_line.ops import learning

    number, _, edit = ctx.arg.partition(" ")
    try:
        cand_id = int(number.lstrip("#"))
    except ValueError:
        return (
            f"番号を指定してね（例: /{name} 12、/approve 12 新しい返事 | もう一つ、/approve 12 + 追加の返事）"
        )
    p = ctx.pipeline
    try:
        learning.decide_now(
            p.store.engine, p.characters, cand_id, ctx.turn.user_id, approve_it=name == "approve", edit=edit
        )
    except learning.LearningError as exc:
        return str(exc)
    return f"#{cand_id} を{done}"


@command("approve", admin_only=True, usage="番号 [返事 | 返事…]")
def _approve(ctx: CommandContext) -> str:
    """候補を承認してLayer 1に追加"""
    return _decide_candidate(ctx, "approve", "承認しました。次のメッセージから使われます。")


@command("reject", admin_only=True, usage="番号")
def _reject(ctx: CommandContext) -> str:
    """候補を却下"""
    return _decide_candidate(ctx, "reject", "却下しました。")


@command("learn", admin_only=True, usage="姉妹 言葉 => 返事")
def _learn(ctx: CommandContext) -> str:
    """レビュー済みのパターンを直接追加"""
    from botan_line.ops import learning

    sister, _, rest = ctx.arg.partition(" ")
    trigger, sep, replies = rest.partition("=>")
    if not sep:
        return "書き方: /learn botan 推し活 => わかる〜！推し活って最高だよね！（返事は | で複数）"
    lines = [r.strip() for r in replies.split("|") if r.strip()]
    try:
        pattern_id = learning.learn(
            ctx.pipeline.store.engine,
            ctx.pipeline.characters,
            sister.strip().lower(),
            trigger.strip(),
            lines,
            ctx.turn.user_id,
        )
    except learning.LearningError as exc:
        return str(exc)
    return f"{sister.strip()} に {pattern_id} を追加しました（返事{len(lines)}件）。"


@command("stats", admin_only=True, usage="[today|week|month]")
def _stats(ctx: CommandContext) -> str:
    """利用状況とコスト（Layer 1の割合、AI代、削減率）"""
    from botan_line.ops import stats
    from botan_line.storage.store import ledger_rows

    kind = ctx.arg.lower() or "today"
    if kind not in ("today", "week", "month"):
        return "期間は today / week / month のどれかだよ（例: /stats week）"
    since, until, label = stats.period_bounds(kind, ctx.turn.now)
    p = ctx.pipeline
    report = stats.build_report(
        ledger_rows(p.store.engine, since, until + stats.FOLLOWUP_SECONDS),
        cfg=p.layer2.cfg,
        since=since,
        until=until,
        label=label,
    )
    return stats.format_line(report)


def markdown_table() -> str:
    """The README's command table, generated from this module (a test keeps the README in step)."""
    rows = ["| command | who | what |", "|---|---|---|"]
    for c in commands.table.values():
        usage = f" {c.usage}" if c.usage else ""
        usage = usage.replace("|", "\\|")
        rows.append(f"| `/{c.name}{usage}` | {'admins' if c.admin_only else 'everyone'} | {c.help} |")
    return "\n".join(rows)
