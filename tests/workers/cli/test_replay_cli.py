"""`iquest replay`: a saved payload, signed with the configured secret, reaches the receiver."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.webhooks import TEST_SECRET, WEBHOOKS_DIR, variant


def _replay(args: list[str], secret: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IQUEST_")}
    if secret is not None:
        env["IQUEST_WEBHOOK_SECRET"] = secret
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", "replay", *args],
        env=env, capture_output=True, text=True, timeout=60, cwd="/",
    )


def test_replayed_trigger_is_queued(receiver, redis_client, tmp_path) -> None:
    saved = tmp_path / "labeled.json"
    saved.write_text(json.dumps(variant("issues/labeled.json", **{"label.name": "autofix",
                                                                 "installation": {"id": 3}})))
    url = f"{receiver.url}/api/github/webhooks"
    result = _replay([str(saved), "--event", "issues", "--url", url], TEST_SECRET)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("202 ")
    assert redis_client.llen("iquest") == 1


def test_wrong_secret_shows_the_401(receiver, redis_client) -> None:
    url = f"{receiver.url}/api/github/webhooks"
    result = _replay([str(WEBHOOKS_DIR / "ping" / "ping.json"), "--event", "ping", "--url", url],
                     "other-secret")
    assert result.returncode == 1
    assert result.stdout.startswith("401 ")


def test_missing_secret_or_file_is_a_clear_error(tmp_path) -> None:
    no_secret = _replay([str(tmp_path / "x.json"), "--event", "ping"], None)
    assert no_secret.returncode == 2 and "IQUEST_WEBHOOK_SECRET" in no_secret.stderr
    no_file = _replay([str(tmp_path / "missing.json"), "--event", "ping"], "s")
    assert no_file.returncode == 2 and "cannot read" in no_file.stderr
