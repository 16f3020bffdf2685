"""The fakes answer the real SDKs the way LINE and OpenAI do."""

import json
import threading
import time
import uuid

import openai
import pytest
from fakes import (
    FakeLine,
    FakeOpenAI,
    fixture_events,
    follow_event,
    join_event,
    media_event,
    postback_event,
    sign,
    sticker_event,
    text_event,
    unfollow_event,
    unknown_event,
    webhook_body,
)
from linebot.v3 import WebhookParser
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
    TextMessage,
)
from linebot.v3.models import UnknownEvent  # what WebhookParser returns for unknown/invalid events
from linebot.v3.webhook import SignatureValidator
from linebot.v3.webhooks import (
    FollowEvent,
    ImageMessageContent,
    JoinEvent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
)

SECRET = "test-secret"


@pytest.fixture
def line():
    with FakeLine() as fake:
        yield fake


@pytest.fixture
def api(line):
    with ApiClient(Configuration(host=line.url, access_token="test-token")) as client:
        yield MessagingApi(client)


@pytest.fixture
def ai():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def client(ai):
    return openai.OpenAI(api_key="k", base_url=ai.url + "/v1", max_retries=0, timeout=5)


def reply(api, token, *texts):
    request = ReplyMessageRequest(reply_token=token, messages=[TextMessage(text=t) for t in texts])
    return api.reply_message(request, _request_timeout=5)


def push(api, *texts, to="Utest1", key=None):
    request = PushMessageRequest(to=to, messages=[TextMessage(text=t) for t in texts])
    return api.push_message(request, x_line_retry_key=key, _request_timeout=5)


def chat(client, text="こんにちは", **kwargs):
    return client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}], **kwargs
    )


# --- LINE ------------------------------------------------------------------------------


def test_reply_is_answered_and_recorded(line, api):
    response = reply(api, "tok1", "おはよう", "今日もがんばろ")

    assert [m.quote_token for m in response.sent_messages] == ["q1", "q2"]
    assert line.replies() == [
        {
            "replyToken": "tok1",
            "messages": [{"type": "text", "text": "おはよう"}, {"type": "text", "text": "今日もがんばろ"}],
            "notificationDisabled": False,
        }
    ]
    assert line.sent_texts() == ["おはよう", "今日もがんばろ"]
    assert line.requests[0].headers["authorization"] == "Bearer test-token"


def test_reply_token_is_single_use(line, api):
    reply(api, "tok1", "一回目")
    with pytest.raises(ApiException) as err:
        reply(api, "tok1", "二回目")
    assert err.value.status == 400
    assert json.loads(err.value.body) == {"message": "Invalid reply token"}
    assert line.sent_texts() == ["一回目"]
    assert line.attempts("/reply") == 2


def test_expired_token_is_rejected(line, api):
    line.expire_token("old")
    with pytest.raises(ApiException) as err:
        reply(api, "old", "遅かった")
    assert err.value.status == 400
    assert line.replies() == []


def test_wrong_access_token_is_401(line):
    config = Configuration(host=line.url, access_token="wrong")
    with ApiClient(config) as client, pytest.raises(ApiException) as err:
        reply(MessagingApi(client), "tok1", "hi")
    assert err.value.status == 401
    assert json.loads(err.value.body)["message"].startswith("Authentication failed")


def test_text_length_is_counted_in_utf16_units(line, api):
    reply(api, "ok", "あ" * 5000)
    with pytest.raises(ApiException) as err:
        reply(api, "too-long", "😀" * 2501)  # 2501 characters, 5002 UTF-16 code units
    assert err.value.status == 400
    body = json.loads(err.value.body)
    assert body["message"] == "The request body has 1 error(s)"
    assert body["details"][0]["property"] == "messages[0].text"


def test_empty_text_is_400_and_does_not_burn_the_token(line, api):
    with pytest.raises(ApiException) as err:
        reply(api, "tok1", "")
    assert err.value.status == 400
    reply(api, "tok1", "やり直し")
    assert line.sent_texts() == ["やり直し"]


def test_more_than_five_messages_is_400_from_the_server(line, api):
    # The SDK model refuses 6 messages itself; construct() skips that to reach the server check.
    request = ReplyMessageRequest.construct(reply_token="t", messages=[TextMessage(text="x")] * 6)
    with pytest.raises(ApiException) as err:
        api.reply_message(request, _request_timeout=5)
    assert err.value.status == 400
    assert json.loads(err.value.body)["details"] == [
        {"message": "Size must be between 1 and 5", "property": "messages"}
    ]


def test_fail_next_429_then_success(line, api):
    line.fail_next("/reply", 429, {"message": "Too many requests"})
    with pytest.raises(ApiException) as err:
        reply(api, "tok1", "混んでる")
    assert err.value.status == 429
    assert line.replies() == []
    reply(api, "tok1", "空いた")  # the token was not consumed by the failed attempt
    assert line.attempts("/reply") == 2
    assert line.sent_texts() == ["空いた"]


def test_fail_next_count_and_headers(line, api):
    line.fail_next("/push", 500, count=2, headers={"x-custom": "1"})
    for _ in range(2):
        with pytest.raises(ApiException) as err:
            push(api, "hi")
        assert err.value.status == 500
        assert err.value.headers["x-custom"] == "1"
    push(api, "hi")
    assert line.attempts("/push") == 3
    assert len(line.pushes()) == 1


def test_push_retry_key_is_accepted_once(line, api):
    key = str(uuid.uuid4())
    request = PushMessageRequest(to="Utest1", messages=[TextMessage(text="お知らせ")])
    first = api.push_message_with_http_info(request, x_line_retry_key=key, _request_timeout=5)
    with pytest.raises(ApiException) as err:
        push(api, "お知らせ", key=key)

    assert err.value.status == 409
    body = json.loads(err.value.body)
    assert body["message"] == "The retry key is already accepted"
    assert body["sentMessages"] == [{"id": "1", "quoteToken": "q1"}]
    # urllib3 headers are case-insensitive
    assert err.value.headers["X-Line-Accepted-Request-Id"] == first.headers["x-line-request-id"]
    assert line.requests[0].headers["x-line-retry-key"] == key
    assert line.attempts("/push") == 2
    assert len(line.pushes()) == 1 and line.sent_texts() == ["お知らせ"]


def test_push_after_failed_attempt_with_same_key_is_delivered(line, api):
    key = str(uuid.uuid4())
    line.fail_next("/push", 500)
    with pytest.raises(ApiException):
        push(api, "再送", key=key)
    push(api, "再送", key=key)
    assert line.sent_texts() == ["再送"]


def test_loading_animation_is_recorded(line, api):
    api.show_loading_animation(
        ShowLoadingAnimationRequest(chat_id="Utest1", loading_seconds=5), _request_timeout=5
    )
    assert line.loadings() == [{"chatId": "Utest1", "loadingSeconds": 5}]
    with pytest.raises(ApiException) as err:
        api.show_loading_animation(
            ShowLoadingAnimationRequest(chat_id="Utest1", loading_seconds=7), _request_timeout=5
        )
    assert err.value.status == 400


def test_profile(line, api):
    assert api.get_profile("U1", _request_timeout=5).display_name == "テスト太郎"
    line.profiles["U2"] = {"displayName": "ぼたん推し", "userId": "U2", "language": "ja"}
    assert api.get_profile("U2", _request_timeout=5).display_name == "ぼたん推し"


def test_wait_for_sees_a_request_from_another_thread(line, api):
    worker = threading.Thread(target=reply, args=(api, "tok1", "非同期"))
    worker.start()
    assert line.wait_for(lambda: line.sent_texts() == ["非同期"], timeout=5)
    worker.join()
    assert not line.wait_for(lambda: len(line.replies()) == 2, timeout=0.05)


def test_slow_line_times_out_the_client_and_stops_promptly():
    import urllib3

    fake = FakeLine().start()
    fake.delay("/reply", 30)
    with ApiClient(Configuration(host=fake.url, access_token="test-token")) as client:
        with pytest.raises(urllib3.exceptions.ReadTimeoutError):
            MessagingApi(client).reply_message(
                ReplyMessageRequest(reply_token="t", messages=[TextMessage(text="x")]), _request_timeout=0.1
            )
    assert fake.attempts("/reply") == 1  # recorded on arrival, before the delay
    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 2


# --- OpenAI ----------------------------------------------------------------------------


def test_queued_completion_with_usage(ai, client):
    ai.queue("ぼたんだよ！", prompt_tokens=12, completion_tokens=7)
    completion = chat(client, temperature=0.7)

    assert completion.choices[0].message.content == "ぼたんだよ！"
    assert completion.choices[0].finish_reason == "stop"
    assert (
        completion.usage.prompt_tokens,
        completion.usage.completion_tokens,
        completion.usage.total_tokens,
    ) == (12, 7, 19)
    assert completion.model == "gpt-4o-mini"
    call = ai.calls()[0]
    assert call["model"] == "gpt-4o-mini" and call["temperature"] == 0.7
    assert call["messages"] == [{"role": "user", "content": "こんにちは"}]
    assert ai.requests[0].headers["authorization"] == "Bearer k"


def test_default_answer_when_queue_is_empty(ai, client):
    completion = chat(client)
    content = completion.choices[0].message.content
    assert content == "そうなんだ、もっと聞かせて！"
    messages = ai.calls()[0]["messages"]
    assert completion.usage.prompt_tokens == len(json.dumps(messages)) // 4
    assert completion.usage.completion_tokens == len(content) // 2


def test_custom_default_and_model_override():
    with FakeOpenAI(default=lambda body: body["messages"][-1]["content"] + "!") as fake:
        fake.queue("a", model="gpt-4o-2024-08-06")
        client = openai.OpenAI(api_key="k", base_url=fake.url, max_retries=0, timeout=5)  # no /v1
        assert chat(client).model == "gpt-4o-2024-08-06"
        assert chat(client, "やっほー").choices[0].message.content == "やっほー!"
        assert [r.path for r in fake.requests] == ["/chat/completions"] * 2


def test_queued_500_raises_internal_server_error(ai, client):
    ai.queue("boom", status=500)
    with pytest.raises(openai.InternalServerError) as err:
        chat(client)
    assert err.value.status_code == 500
    assert err.value.body["message"] == "boom"  # the SDK unwraps {"error": {...}}
    assert chat(client).choices[0].message.content  # queue drained, default answers again


def test_queued_429_raises_rate_limit_error_and_retries_fast(ai):
    ai.queue("slow down", status=429)
    with pytest.raises(openai.RateLimitError):
        chat(openai.OpenAI(api_key="k", base_url=ai.url + "/v1", max_retries=0, timeout=5))

    ai.queue("slow down", status=429)
    retrying = openai.OpenAI(api_key="k", base_url=ai.url + "/v1", max_retries=1, timeout=5)
    started = time.monotonic()
    assert chat(retrying).choices[0].message.content  # retry-after-ms: 1 -> retried at once
    assert time.monotonic() - started < 0.3
    assert len(ai.calls()) == 3


def test_malformed_json_raises_json_decode_error(ai, client):
    # What the SDK actually does: a 200 whose JSON body is cut short is NOT wrapped in an
    # openai.APIError; json.JSONDecodeError (a ValueError) escapes from completions.create().
    ai.queue("", raw='{"id": "chatcmpl-1", "choices": [')
    with pytest.raises(json.JSONDecodeError):
        chat(client)


def test_malformed_error_body_still_raises_the_status_error(ai, client):
    ai.queue("", status=502, raw="<html>Bad Gateway</html>")
    with pytest.raises(openai.InternalServerError) as err:
        chat(client)
    assert err.value.status_code == 502


def test_wrong_api_key_is_401():
    with FakeOpenAI(api_key="right") as fake:
        client = openai.OpenAI(api_key="wrong", base_url=fake.url + "/v1", max_retries=0, timeout=5)
        with pytest.raises(openai.AuthenticationError):
            chat(client)


def test_slow_openai_times_out_and_stops_promptly():
    fake = FakeOpenAI().start()
    fake.queue("遅い", delay=30)
    client = openai.OpenAI(api_key="k", base_url=fake.url + "/v1", max_retries=0, timeout=0.1)
    with pytest.raises(openai.APITimeoutError):
        chat(client)
    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 2


def test_openai_wait_for(ai, client):
    worker = threading.Thread(target=chat, args=(client,))
    worker.start()
    assert ai.wait_for(lambda: len(ai.calls()) == 1)
    worker.join()


def test_moderation_answers_like_the_api(ai, client):
    ai.queue_moderation({"self-harm/intent": 0.93, "self-harm": 0.81})
    resp = client.moderations.create(model="omni-moderation-latest", input="死にたい")

    assert resp.model == "omni-moderation-2024-09-26" and resp.id.startswith("modr-")
    result = resp.results[0]
    assert result.flagged is True
    assert result.categories.self_harm_intent is True and result.categories.sexual is False
    assert result.category_scores.self_harm_intent == pytest.approx(0.93)
    assert result.category_scores.model_dump(by_alias=True)["self-harm"] == pytest.approx(0.81)
    assert result.category_applied_input_types.sexual_minors == ["text"]
    assert ai.moderations() == [{"model": "omni-moderation-latest", "input": "死にたい"}]
    assert ai.calls() == []  # moderation is not a chat call


def test_moderation_default_is_harmless_and_errors_are_real_errors(ai, client):
    result = client.moderations.create(model="omni-moderation-latest", input="おはよう").results[0]
    assert result.flagged is False and max(result.category_scores.model_dump().values()) < 0.001

    ai.queue_moderation(status=503)
    with pytest.raises(openai.InternalServerError):
        client.moderations.create(model="omni-moderation-latest", input="おはよう")
    with pytest.raises(openai.BadRequestError):
        client.moderations.create(model="omni-moderation-latest", input=[])
    with pytest.raises(ValueError):
        ai.queue_moderation({"selfharm": 0.9})  # a typo in a test fails loudly


# --- webhook builders ------------------------------------------------------------------


def test_sign_matches_the_sdk():
    body = webhook_body(text_event("こんにちは"))
    signature = sign(body, SECRET)
    assert SignatureValidator(SECRET).validate(body.decode(), signature)
    assert not SignatureValidator("other").validate(body.decode(), signature)


def parse(*events):
    body = webhook_body(*events).decode()
    return WebhookParser(SECRET).parse(body, sign(body.encode(), SECRET))


def test_builders_parse_into_sdk_events():
    events = parse(
        text_event("おはよう", timestamp_ms=1_700_000_000_000),
        text_event(
            "@ぼたん おいで", source_type="group", group_id="Cg", mentioned_self=True, redelivery=True
        ),
        sticker_event(),
        media_event("image"),
        media_event("location"),
        follow_event(unblocked=True),
        unfollow_event(),
        join_event("Cg"),
        postback_event("action=menu"),
        unknown_event("somethingNew"),
    )
    text, mention, sticker, image, location, follow, unfollow, join, postback, unknown = events

    assert isinstance(text, MessageEvent) and isinstance(text.message, TextMessageContent)
    assert text.message.text == "おはよう" and text.timestamp == 1_700_000_000_000
    assert text.source.user_id == "Utest1" and text.mode.value == "active"
    assert mention.message.mention.mentionees[0].is_self is True
    assert mention.source.group_id == "Cg" and mention.delivery_context.is_redelivery is True
    assert isinstance(sticker.message, StickerMessageContent)
    assert isinstance(image.message, ImageMessageContent)
    assert isinstance(location.message, LocationMessageContent)
    assert isinstance(follow, FollowEvent) and follow.follow.is_unblocked is True
    assert isinstance(unfollow, UnfollowEvent) and not hasattr(unfollow, "reply_token")
    assert isinstance(join, JoinEvent) and join.source.group_id == "Cg"
    assert isinstance(postback, PostbackEvent) and postback.postback.data == "action=menu"
    assert isinstance(unknown, UnknownEvent)


def test_every_media_kind_parses():
    kinds = ["image", "video", "audio", "file", "location"]
    events = parse(*(media_event(kind) for kind in kinds))
    assert [e.message.type for e in events] == kinds


def test_builders_make_fresh_ids_and_tokens():
    a, b = text_event("a"), text_event("b")
    assert len(a["webhookEventId"]) == 26 and a["webhookEventId"] != b["webhookEventId"]
    assert a["replyToken"] != b["replyToken"]
    fixed = text_event("c", event_id="E1", reply_token="R1", mode="standby")
    assert (fixed["webhookEventId"], fixed["replyToken"], fixed["mode"]) == ("E1", "R1", "standby")


def test_fixture_events_are_fresh_and_parse():
    events = fixture_events(timestamp_ms=1_700_000_000_000)
    assert len(events) == 28
    assert len({e["webhookEventId"] for e in events}) == 28
    tokens = [e["replyToken"] for e in events if "replyToken" in e]
    assert len(set(tokens)) == len(tokens)
    assert {e["timestamp"] for e in events} == {1_700_000_000_000}
    parsed = parse(*events)
    assert len(parsed) == 28
    assert isinstance(parsed[-1], UnknownEvent)


# --- the simulated prompt cache ---------------------------------------------------------------------
def ask(client, system: str, text: str, model: str = "gpt-4o-mini"):
    messages = [{"role": "system", "content": system}, {"role": "user", "content": text}]
    return client.chat.completions.create(model=model, messages=messages).usage


def test_the_prompt_cache_serves_the_shared_prefix_from_1024_tokens_in_128_steps():
    with FakeOpenAI(prompt_cache=True) as fake:
        client = openai.OpenAI(api_key="k", base_url=fake.url + "/v1", max_retries=0, timeout=5)
        system = "あ" * 1500
        first = ask(client, system, "こんにちは")
        assert first.prompt_tokens == 2 + 1500 + 2 + 5  # two tokens open a message, one per character
        assert first.prompt_tokens_details.cached_tokens == 0  # nothing seen yet
        second = ask(client, system, "こんばんは")
        shared = 2 + 1500 + 2 + 2  # the system message, the user message's opening, "こん"
        assert second.prompt_tokens_details.cached_tokens == 1024 + (shared - 1024) // 128 * 128 == 1408
        assert ask(client, "い" * 900, "こんにちは").prompt_tokens_details.cached_tokens == 0  # under 1,024
        assert ask(client, system, "こんにちは", model="gpt-4o").prompt_tokens_details.cached_tokens == 0
        fake.queue("はい", prompt_tokens=3000, cached_tokens=2048)  # a script wins
        scripted = ask(client, system, "こんにちは")
        assert (scripted.prompt_tokens, scripted.prompt_tokens_details.cached_tokens) == (3000, 2048)


def test_without_the_cache_usage_reports_none_cached(client):
    usage = chat(client).usage
    assert usage.prompt_tokens_details.cached_tokens == 0


def test_scripted_retry_hints_replace_the_default_ones(ai, client):
    ai.queue("slow down", status=429, headers={"retry-after": "7"})
    with pytest.raises(openai.RateLimitError) as err:
        chat(client)
    assert err.value.response.headers.get("retry-after") == "7"
    assert err.value.response.headers.get("retry-after-ms") is None


# --- OpenAI: the reasoning generation, as its pages describe it ------------------------------------


def reasoning_chat(client, model="gpt-6-luna", **kwargs):
    return client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "やっほー"}], **kwargs
    )


@pytest.mark.parametrize(
    ("model", "kwargs", "code", "param"),
    [
        ("gpt-6-luna", {"max_tokens": 200}, "unsupported_parameter", "max_tokens"),
        ("gpt-6-luna", {"temperature": 0.8}, "unsupported_value", "temperature"),  # default effort: medium
        ("gpt-6-luna", {"temperature": 0.8, "reasoning_effort": "low"}, "unsupported_value", "temperature"),
        ("gpt-6.1-sol", {"reasoning_effort": "none"}, "unsupported_value", "reasoning_effort"),
        ("gpt-6.2-sol", {"temperature": 0.5, "reasoning_effort": "low"}, "unsupported_value", "temperature"),
        ("gpt-4o-mini", {"reasoning_effort": "low"}, "unsupported_parameter", "reasoning_effort"),
    ],
)
def test_reasoning_models_refuse_what_the_api_refuses(ai, client, model, kwargs, code, param):
    with pytest.raises(openai.BadRequestError) as err:
        reasoning_chat(client, model, **kwargs)
    assert (err.value.status_code, err.value.code, err.value.param) == (400, code, param)
    assert err.value.body["type"] == "invalid_request_error"
    assert ai.answered_calls() == []


def test_an_unsupported_effort_names_the_supported_values(ai, client):
    with pytest.raises(openai.BadRequestError) as err:
        reasoning_chat(client, "gpt-6.2-sol", reasoning_effort="none")
    assert "Supported values are: 'low', 'medium', 'high', 'xhigh', and 'max'." in err.value.message


@pytest.mark.parametrize(
    ("model", "kwargs", "reasoning"),
    [
        ("gpt-6-luna", {"max_completion_tokens": 200, "reasoning_effort": "none", "temperature": 0.8}, 0),
        ("gpt-6-luna", {"max_completion_tokens": 2000}, 420),  # medium, the default: hundreds
        ("gpt-6.1-sol", {"max_completion_tokens": 2000, "reasoning_effort": "low"}, 90),
        ("gpt-4o-mini", {"max_tokens": 200, "temperature": 0.8}, 0),  # the old generation takes both
    ],
)
def test_what_they_accept_is_answered_with_reasoning_tokens_in_the_usage(
    ai, client, model, kwargs, reasoning
):
    ai.queue("やっほ〜！", completion_tokens=6)
    done = reasoning_chat(client, model, **kwargs)
    assert done.choices[0].message.content == "やっほ〜！"
    assert done.usage.completion_tokens == 6 + reasoning  # reasoning is billed as output
    assert done.usage.completion_tokens_details.reasoning_tokens == reasoning


def test_a_cap_that_reasoning_uses_up_leaves_no_text(ai, client):
    ai.queue("やっほ〜！", completion_tokens=6)
    done = reasoning_chat(client, "gpt-6-luna", max_completion_tokens=200)  # medium spends 420
    assert (done.choices[0].message.content, done.choices[0].finish_reason) == ("", "length")
    assert done.usage.completion_tokens == 200


def test_cache_writes_are_reported_by_the_generation_that_bills_them(ai, client):
    ai.prompt_cache = True
    long = "あ" * 1500
    for model, writes in (("gpt-6-luna", True), ("gpt-4o-mini", False)):
        first = client.chat.completions.create(model=model, messages=[{"role": "system", "content": long}],
                                               max_completion_tokens=50)  # fmt: skip
        details = first.usage.prompt_tokens_details
        assert details.cached_tokens == 0
        assert (details.cache_write_tokens >= 1024) is writes
        second = client.chat.completions.create(model=model, messages=[{"role": "system", "content": long}],
                                                max_completion_tokens=50)  # fmt: skip
        assert second.usage.prompt_tokens_details.cached_tokens >= 1024
        assert second.usage.prompt_tokens_details.cache_write_tokens == 0


def test_models_carry_their_shutdown_date_and_a_retired_model_is_gone(ai, client):
    assert client.models.retrieve("gpt-4o-mini").shutdown_date == "2027-01-14"
    assert client.models.retrieve("gpt-6-luna").shutdown_date is None
    ai.set_shutdown("gpt-6-luna", "2027-06-30")
    listed = {m.id: m.shutdown_date for m in client.models.list()}
    assert listed["gpt-6-luna"] == "2027-06-30" and listed["gpt-4o"] == "2027-01-14"
    ai.retire("gpt-4o-mini")
    with pytest.raises(openai.NotFoundError) as err:
        client.models.retrieve("gpt-4o-mini")
    assert err.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError) as err:
        reasoning_chat(client, "gpt-4o-mini")
    assert err.value.code == "model_not_found"
    assert "gpt-4o-mini" not in {m.id for m in client.models.list()}


def test_a_model_the_fake_does_not_know_is_as_lenient_as_a_local_server(ai, client):
    done = reasoning_chat(client, "llama3.1:8b", max_tokens=50, temperature=0.7, reasoning_effort="high")
    assert done.choices[0].message.content and done.usage.completion_tokens_details.reasoning_tokens == 0


# --- fans' photos and voice notes -------------------------------------------------------------------
def test_the_data_host_serves_content_through_the_sdks_blob_api_404_410_and_202(line):
    from linebot.v3.messaging import MessagingApiBlob
    from linebot.v3.messaging.exceptions import ApiException

    line.add_content("m1", b"\xff\xd8jpeg", "image/jpeg")
    line.add_content("v1", b"m4a", "audio/x-m4a", preparing=1)
    line.expire_content("gone")
    with ApiClient(Configuration(host=line.url, access_token="test-token")) as client:
        blob = MessagingApiBlob(client)
        assert bytes(blob.get_message_content("m1", _request_timeout=5)) == b"\xff\xd8jpeg"
        first = blob.get_message_content_with_http_info("v1", _request_timeout=5)
        assert first.status_code == 202  # still being prepared
        assert bytes(blob.get_message_content("v1", _request_timeout=5)) == b"m4a"
        for mid, status in (("gone", 410), ("never", 404)):
            with pytest.raises(ApiException) as err:
                blob.get_message_content(mid, _request_timeout=5)
            assert err.value.status == status
    assert line.content_fetches() == ["m1", "v1", "v1", "gone", "never"]


def test_the_builders_make_photos_image_sets_external_content_and_voice_notes():
    from fakes import audio_event, image_event
    from linebot.v3.webhooks import AudioMessageContent, ImageMessageContent

    events = parse(
        image_event(message_id="p1", image_set=("S", 2, 3)),
        image_event(external_url="https://example.com/a.jpg"),
        audio_event(message_id="v1", duration_ms=8000),
    )
    photo, external, voice_note = events
    assert isinstance(photo.message, ImageMessageContent) and photo.message.image_set.total == 3
    assert external.message.content_provider.type == "external"
    assert isinstance(voice_note.message, AudioMessageContent) and voice_note.message.duration == 8000


def image_part(width=640, height=480, detail="low"):
    import base64

    from corebot import photo

    data = base64.b64encode(photo(width, height)).decode()
    return {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{data}", "detail": detail}}


def test_image_parts_are_checked_and_billed_as_the_model_bills_them(ai, client):
    from fakes import FakeModelSpec

    message = {"role": "user", "content": [{"type": "text", "text": "見て"}, image_part(512, 384)]}
    ai.queue("かわいい！", completion_tokens=5)
    client.chat.completions.create(model="gpt-6-luna", messages=[message])
    assert ai.images_seen == [(512, 384)]
    plain = client.chat.completions.create(model="gpt-6-luna", messages=[{"role": "user", "content": "見て"}])
    with_image = client.chat.completions.create(model="gpt-6-luna", messages=[message])
    assert with_image.usage.prompt_tokens - plain.usage.prompt_tokens == 16 * 12  # one per 32×32 patch
    fixed = client.chat.completions.create(model="gpt-4o", messages=[message])
    assert fixed.usage.prompt_tokens - plain.usage.prompt_tokens == 85  # gpt-4o at detail low
    broken = {
        "role": "user",
        "content": [{"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AAAA"}}],
    }
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="gpt-6-luna", messages=[broken])
    ai.models["text-only"] = FakeModelSpec(images=False)
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="text-only", messages=[message])
    assert "only supported by certain models" in err.value.message


def test_transcriptions_take_the_formats_and_models_openai_takes(ai, client):
    from fakes import voice

    done = client.audio.transcriptions.create(model="gpt-transcribe", file=("voice.m4a", voice("やっほー")))
    assert done.text == "やっほー"
    with pytest.raises(openai.BadRequestError):
        client.audio.transcriptions.create(model="gpt-transcribe", file=("voice.aac", voice("x")))
    with pytest.raises(openai.NotFoundError):
        client.audio.transcriptions.create(model="whisper-9", file=("voice.m4a", voice("x")))
    assert [t["filename"] for t in ai.transcriptions()] == ["voice.m4a", "voice.aac", "voice.m4a"]
