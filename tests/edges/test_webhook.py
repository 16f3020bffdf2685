"""The webhook over real HTTP: signatures, sizes, shapes, dedup, health."""

from __future__ import annotations

import json

from fakes import sign, text_event, webhook_body
from sqlalchemy import create_engine, func, select

from botan_line.storage.db import inbox


def inbox_count(bot) -> int:
    with bot.services.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(inbox))


def test_signed_event_is_stored_and_acked_without_sending_anything(bot):
    response = bot.post(text_event("おはよう", timestamp_ms=bot.clock.ms))
    assert response.status_code == 200
    assert inbox_count(bot) == 1
    assert bot.line.requests == []  # nothing slow inside the request: the worker sends later
    bot.work()
    assert len(bot.line.replies()) == 1


def test_missing_signature_is_rejected_and_nothing_stored(bot):
    response = bot.post_body(webhook_body(text_event("おはよう")), signature=None)
    assert response.status_code == 400
    assert inbox_count(bot) == 0


def test_wrong_signature_is_rejected_and_nothing_stored(bot):
    body = webhook_body(text_event("おはよう"))
    response = bot.post_body(body, signature=sign(body, "another-secret"))
    assert response.status_code == 400
    assert inbox_count(bot) == 0


def test_signature_is_checked_on_the_raw_bytes(sbot):
    body = webhook_body(text_event("おはよう"))
    tampered = body.replace("おはよう".encode(), "こんばんは".encode())
    assert sbot.post_body(tampered, signature=sign(body, "test-channel-secret")).status_code == 400


def test_body_over_one_mebibyte_is_413(sbot):
    body = webhook_body(text_event("あ" * (1024 * 1024)))
    assert sbot.post_body(body).status_code == 413
    assert inbox_count(sbot) == 0


def test_signed_but_not_json_is_400(sbot, caplog):
    assert sbot.post_body(b"this is not json").status_code == 400
    assert "not JSON" in caplog.text


def test_signed_json_of_the_wrong_shape_is_400(sbot):
    assert sbot.post_body(json.dumps({"destination": "U1"}).encode()).status_code == 400
    assert sbot.post_body(json.dumps({"events": ["x"]}).encode()).status_code == 400
    assert sbot.post_body(json.dumps([1, 2]).encode()).status_code == 400


def test_verify_button_with_no_events_is_200(bot):
    body = json.dumps({"destination": "Ubot", "events": []}).encode()
    assert bot.post_body(body).status_code == 200
    assert inbox_count(bot) == 0


def test_duplicate_and_redelivered_events_are_answered_once(bot):
    event = text_event("おはよう", timestamp_ms=bot.clock.ms)
    assert bot.post(event).status_code == 200
    assert bot.post(event).status_code == 200
    redelivered = dict(event, deliveryContext={"isRedelivery": True})
    assert bot.post(redelivered).status_code == 200
    assert inbox_count(bot) == 1
    bot.work()
    bot.post(redelivered)  # after it was handled, too
    bot.work()
    assert len(bot.line.replies()) == 1


def test_logs_hold_no_message_text_or_secret(sbot, caplog):
    caplog.set_level("DEBUG")
    sbot.say("ひみつの話なんだけど聞いて")
    sbot.post_body(b"not json")
    assert "ひみつ" not in caplog.text
    assert "test-channel-secret" not in caplog.text
    assert "test-token" not in caplog.text


def test_healthz_checks_the_database(bot):
    assert bot.http.get(bot.url + "/healthz").status_code == 200


def test_healthz_is_503_when_the_database_is_unreachable(sbot):
    sbot.services.engine = create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:9/none", connect_args={"connect_timeout": 1}
    )
    assert sbot.http.get(sbot.url + "/healthz").status_code == 503


def _signed(bot, raw: bytes):
    return bot.post_body(raw, signature=sign(raw, "test-channel-secret"))


def test_a_lone_surrogate_is_stored_cleaned_and_answered(bot):
    event = text_event("おはよう", timestamp_ms=bot.clock.ms)
    raw = webhook_body(event).replace("おはよう".encode(), b"\\ud800\\u304a\\u306f\\u3088\\u3046")
    assert _signed(bot, raw).status_code == 200
    bot.work()
    assert len(bot.line.replies()) == 1  # stored, decided and sent: nothing on the way chokes on it


def test_nul_in_stored_columns_is_cleaned(bot):
    event = text_event("おは\u0000よう", "U\u0000nul", timestamp_ms=bot.clock.ms)
    event["type"] = "mess\u0000age"
    assert bot.post(event).status_code == 200  # PostgreSQL refuses NUL in text columns
    assert inbox_count(bot) == 1


def test_absurd_nesting_and_timestamps_get_a_400_or_are_stored(bot):
    deep = b'{"destination":"U1","events":[' + b'{"a":' * 1000 + b"1" + b"}" * 1000 + b"]}"
    assert _signed(bot, deep).status_code == 400
    deep_but_parsable = b'{"destination":"U1","events":[' + b"[" * 200 + b"]" * 200 + b"]}"
    assert _signed(bot, deep_but_parsable).status_code == 400
    event = text_event("おはよう", timestamp_ms=bot.clock.ms)
    raw = webhook_body(event).replace(str(event["timestamp"]).encode(), b"9" * 400)
    assert _signed(bot, raw).status_code == 200
    inf = webhook_body(text_event("おはよう")).replace(b'"timestamp": ', b'"timestamp": 1e999, "x": ')
    assert _signed(bot, inf).status_code == 200
    bot.work()  # a timestamp that is no time: no reply token to race, nothing to send, no crash
    assert bot.line.replies() == []


def test_a_deleted_database_file_is_never_acked(sbot):
    from pathlib import Path

    path = Path(sbot.services.settings.database_url.removeprefix("sqlite:///"))
    assert sbot.post(text_event("おはよう", timestamp_ms=sbot.clock.ms)).status_code == 200
    path.unlink()  # an operator removes it under the running service
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    assert sbot.post(text_event("こんばんは", timestamp_ms=sbot.clock.ms)).status_code == 503
    assert sbot.http.get(sbot.url + "/healthz").status_code == 503
    assert not path.exists()  # and no empty new file was made in its place


def test_healthz_fails_while_writes_fail(sbot):
    from sqlalchemy import event

    engine = sbot.services.engine
    assert sbot.http.get(sbot.url + "/healthz").status_code == 200

    def read_only(dbapi_conn, _record, _proxy):  # the disk failed and the system remounted it read-only
        dbapi_conn.execute("PRAGMA query_only=1")

    def writable(dbapi_conn, _record):
        dbapi_conn.execute("PRAGMA query_only=0")

    event.listen(engine, "checkout", read_only)
    event.listen(engine, "checkin", writable)
    try:
        assert sbot.http.get(sbot.url + "/healthz").status_code == 503
        assert sbot.post(text_event("おはよう", timestamp_ms=sbot.clock.ms)).status_code == 503
    finally:
        event.remove(engine, "checkout", read_only)
    assert sbot.http.get(sbot.url + "/healthz").status_code == 200
