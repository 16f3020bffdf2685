"""The LINE adapter's import: the sync v3 client only, without the SDK's heavier package inits."""

from __future__ import annotations

import subprocess
import sys


def test_the_adapter_loads_neither_the_v2_sdk_nor_the_asyncio_client():
    code = (
        "import sys, botan_line.adapters.line_api\n"
        "bad = [m for m in ('aiohttp', 'linebot.api', 'linebot.v3.webhooks', 'linebot.v3.messaging.async_api_client')"
        " if m in sys.modules]\n"
        "assert not bad, bad\n"
        "from linebot.v3 import WebhookParser\n"  # a name from a skipped package init still works, loaded then
        "from linebot.v3.messaging import AsyncMessagingApi\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_openai_adapter_leaves_the_asyncio_transport_out():
    code = (
        "import sys, botan_line.adapters.openai_api, botan_line.adapters.line_api\n"
        "assert 'aiohttp' not in sys.modules, 'aiohttp was imported'\n"
        "import openai\n"
        "openai.OpenAI(api_key='k', base_url='http://127.0.0.1:9/v1').chat.completions\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


# --- a fan's photo or voice note, from the fake LINE's data host --------------------------------
def content_edge(line):
    from botan_line.adapters.line_api import LineEdge

    return LineEdge(line.url, "test-token", sleep=lambda _s: None)


def test_content_streams_from_the_data_host_and_may_be_read_again_from_its_start(line):
    from corebot import photo

    data = photo(640, 480)
    line.add_content("m1", data)
    with content_edge(line).open_content("m1", url=None, max_bytes=10**7, timeout=5) as stream:
        head = stream.read(16)
        stream.seek(0)
        assert stream.read(16) == head
        assert head + stream.read() == data
    request = [r for r in line.requests if r.path == "/v2/bot/message/m1/content"][0]
    assert request.headers["authorization"] == "Bearer test-token"


def test_content_past_the_cap_is_refused_while_it_streams_even_without_a_length(line, monkeypatch):
    import pytest

    from botan_line.adapters.line_api import Incoming
    from botan_line.core.ports import ContentUnavailable

    line.add_content("big", b"\xff\xd8" + b"x" * 300_000)
    with pytest.raises(ContentUnavailable) as announced:
        content_edge(line).open_content("big", url=None, max_bytes=100_000, timeout=5)
    assert announced.value.reason == "too_large"  # Content-Length said so: nothing read
    monkeypatch.setattr(Incoming, "KEEP", 1024)
    original = Incoming.__init__

    def unannounced(self, response, max_bytes, deadline):
        response.headers.pop("Content-Length", None)
        original(self, response, max_bytes, deadline)

    monkeypatch.setattr(Incoming, "__init__", unannounced)
    with pytest.raises(ContentUnavailable) as streamed:
        with content_edge(line).open_content("big", url=None, max_bytes=100_000, timeout=5) as stream:
            stream.read()
    assert streamed.value.reason == "too_large"


def test_content_that_is_gone_or_still_being_prepared(line):
    import pytest

    from botan_line.core.ports import ContentUnavailable

    edge = content_edge(line)
    line.add_content("old", b"data")
    line.expire_content("old")
    line.add_content("slow", b"voice", "audio/x-m4a", preparing=2)
    reasons = []
    for mid in ("old", "never"):
        with pytest.raises(ContentUnavailable) as found:
            edge.open_content(mid, url=None, max_bytes=1000, timeout=5)
        reasons.append(found.value.reason)
    assert reasons == ["expired", "not_found"]
    with edge.open_content("slow", url=None, max_bytes=1000, timeout=5) as stream:
        assert stream.read() == b"voice"  # after two 202s
    with pytest.raises(ContentUnavailable) as found:
        line.add_content("slower", b"v", preparing=5)
        edge.open_content("slower", url=None, max_bytes=1000, timeout=1.5)
    assert found.value.reason == "not_ready"


def test_external_content_must_be_https_unless_line_itself_is_plain_http(line):
    import pytest

    from botan_line.adapters.line_api import LineEdge
    from botan_line.core.ports import ContentUnavailable

    real = LineEdge("https://api.line.me", "t")
    with pytest.raises(ContentUnavailable) as found:
        real.open_content("m", url="http://example.com/a.jpg", max_bytes=10, timeout=1)
    assert found.value.reason == "external_scheme"
    with pytest.raises(ContentUnavailable) as found:
        real.open_content("m", url="file:///etc/passwd", max_bytes=10, timeout=1)
    assert found.value.reason == "external_scheme"
