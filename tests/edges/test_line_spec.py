"""The spec check itself must be able to fail: requests LINE's OpenAPI documents do not allow are
caught, and the fake answers the new calls the way the documents say LINE does."""

from __future__ import annotations

import requests
from conftest import TOKEN, spec_checked_line

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_requests_outside_lines_schemas_are_caught():
    with spec_checked_line() as fake:
        bad_sticker = {
            "replyToken": "t",
            "messages": [{"type": "sticker", "packageId": 11537, "stickerId": "52002734"}],
        }
        requests.post(fake.url + "/v2/bot/message/reply", json=bad_sticker, headers=AUTH, timeout=5)
        flex = {
            "type": "flex",
            "altText": "a",
            "contents": {"type": "bubble", "body": {"type": "box", "contents": []}},
        }
        requests.post(fake.url + "/v2/bot/message/push", json={"to": "U1", "messages": [flex]},
                      headers={**AUTH, "X-Line-Retry-Key": "not-a-uuid"}, timeout=5)  # fmt: skip
        requests.post(fake.url + "/v2/bot/message/everyone", json={}, headers=AUTH, timeout=5)
        requests.get(
            fake.url + "/v2/bot/insight/followers", params={"date": "2026-11-28"}, headers=AUTH, timeout=5
        )
        found = "\n".join(fake.violations)
    assert "messages.0.packageId: 11537 is not of type 'string'" in found
    assert "layout' is a required property" in found  # deep inside a Flex bubble
    assert "X-Line-Retry-Key is not a UUID" in found
    assert "/v2/bot/message/everyone: no such operation" in found
    assert "does not match ^[0-9]{8}$" in found


def test_the_fake_answers_quota_menus_and_broadcasts_as_line_does():
    with spec_checked_line() as fake:
        get = lambda path: requests.get(fake.url + path, headers=AUTH, timeout=5)  # noqa: E731
        assert get("/v2/bot/message/quota").json() == {"type": "limited", "value": 200}
        fake.quota = None
        assert get("/v2/bot/message/quota").json() == {"type": "none"}
        assert get("/v2/bot/user/all/richmenu").status_code == 404
        menu = {"size": {"width": 2500, "height": 843}, "selected": False, "name": "m", "chatBarText": "menu",
                "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                           "action": {"type": "postback", "data": "sister=botan"}}]}  # fmt: skip
        made = requests.post(fake.url + "/v2/bot/richmenu", json=menu, headers=AUTH, timeout=5).json()[
            "richMenuId"
        ]
        link = requests.post(f"{fake.url}/v2/bot/user/U1/richmenu/{made}", headers=AUTH, timeout=5)
        assert link.status_code == 400  # LINE: upload the image first
        wrong = requests.post(fake.url + "/v2/bot/richmenu", json={**menu, "size": {"width": 800, "height": 270}},
                              headers=AUTH, timeout=5)  # fmt: skip
        assert wrong.status_code == 400
        key = {"X-Line-Retry-Key": "123e4567-e89b-12d3-a456-426614174000"}
        body = {"messages": [{"type": "text", "text": "配信はじまるよ"}]}
        first = requests.post(
            fake.url + "/v2/bot/message/broadcast", json=body, headers={**AUTH, **key}, timeout=5
        )
        again = requests.post(
            fake.url + "/v2/bot/message/broadcast", json=body, headers={**AUTH, **key}, timeout=5
        )
        assert (first.status_code, again.status_code) == (200, 409) and len(fake.broadcasts()) == 1
        assert get("/v2/bot/message/quota/consumption").json() == {"totalUsage": 9}
    assert fake.violations == []  # every answer above is what LINE's documents say LINE answers
