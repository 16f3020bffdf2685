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
