"""The README's quick start, step by step: `make run` (= `iquest dev`) in an empty folder prints
the setup URL; /setup registers the App with the (fake) GitHub; the worker starts by itself;
deliveries reach the laptop through the webhook proxy channel; labelling an issue gets the app's
status comment. The clone and `make test` steps are the fresh-clone check (scripts/)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from service.signature import sign
from tests.fakes.model_server import ErrorReply
from tests.fakes.proxy_channel import ProxyChannel
from tests.service.setup_support import form_from_url, submit
from tests.support.webhooks import repo_variant
from tests.support.worker import wait_until

ROOT = Path(__file__).resolve().parents[1]
REPO, INSTALLATION_ID = "octo/service", 4040


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_make_run_is_iquest_dev() -> None:
    # Under `make test` the parent's MAKEFLAGS would add "Entering directory" lines.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    dry = subprocess.run(["make", "--no-print-directory", "-n", "-W", "pyproject.toml", "run"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    assert dry.strip().splitlines()[-1] == ".venv/bin/iquest dev"


class Output:
    """A child's merged output, collected by a thread so the test can wait on lines."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))

    def find(self, pattern: str) -> re.Match[str] | None:
        return next((m for line in list(self.lines) if (m := re.search(pattern, line))), None)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def test_quick_start_from_an_empty_folder(fake_github, model_server, tmp_path) -> None:
    channel = ProxyChannel(raw_body=True).start()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IQUEST_")}
    env.update(IQUEST_GITHUB_API_URL=fake_github.url, IQUEST_WEBHOOK_PROXY_URL=channel.url,
               IQUEST_MODEL_BASE_URL=model_server.base_url, IQUEST_DATA_DIR=str(tmp_path / "data"),
               IQUEST_GITHUB_WRITE_INTERVAL_SECONDS="0.05", IQUEST_LOG_LEVEL="INFO")
    process = subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "dev", "--port", str(port)], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = Output(process)
    try:
        # 1. `make run` says where to go.
        wait_until(lambda: out.find(r"open (http://\S+/setup\?token=\S+)"), what="the setup URL")
        setup_url = out.find(r"open (http://\S+/setup\?token=\S+)").group(1)
        wait_until(lambda: _answers(setup_url), what="the receiver")
        # 2. /setup → GitHub's form → back: the App exists and its credentials are saved.
        form = form_from_url(setup_url)
        assert form.manifest["hook_attributes"]["url"] == channel.url
        redirect = submit(form)
        done = httpx.get(redirect.headers["location"])
        assert done.status_code == 200 and "/installations/new" in done.text
        assert (tmp_path / "github-app.pem").exists()
        # 3. No restart: the worker starts once the credentials exist.
        wait_until(lambda: out.find("worker started"), timeout=120, what="the worker")
        # 4. Install on a repository, label an issue: GitHub posts to the channel, and the
        #    delivery reaches the receiver with its signature intact.
        fake_github.create_repo(REPO, {"README.md": "# service\n", "app.py": "print('hi')\n"})
        fake_github.add_installation(INSTALLATION_ID, "octo")
        fake_github.add_collaborator(REPO, "alice", "write")
        issue = fake_github.open_issue(REPO, "Crash on login", "Traceback ...", user="bob")
        refusal = ErrorReply(400, "prompt is longer than the context")
        model_server.script(refusal)
        payload = repo_variant("issues/labeled.json", REPO, INSTALLATION_ID, **{
            "label.name": "autofix", "issue.number": issue.number, "sender.login": "alice"})
        raw = httpx.Request("POST", "http://x", json=payload).content
        httpx.post(channel.url, content=raw, headers={
            "Content-Type": "application/json", "X-GitHub-Event": "issues",
            "X-GitHub-Delivery": "11111111-2222-3333-4444-555555555555",
            "X-Hub-Signature-256": sign(fake_github.webhook_secret.encode(), raw)})
        wait_until(lambda: out.find(r"delivery 11111111-\S+ \(issues\) → 202"),
                   what="the forwarded delivery")
        wait_until(lambda: "No pull request" in _status(fake_github, issue.number), timeout=60,
                   what="the app's status comment")
        assert fake_github.reactions(REPO, issue.number) == ["eyes"]
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        channel.stop()
    assert process.returncode == 0, out.text
    assert fake_github.webhook_secret not in out.text  # never echoed to a log
    assert fake_github.private_key.splitlines()[1] not in out.text


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _status(fake_github, number: int) -> str:
    bots = [c for c in fake_github.comments(REPO, number) if c.user.type == "Bot"]
    return bots[0].body if bots else ""


def test_the_readme_quick_start_runs_only_tested_commands() -> None:
    """Every command the quick start shows is one this file (or the fresh-clone check) runs."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Quick start")
    section = readme[start:readme.index("\n## ", start)]
    commands = [line.split("#")[0].strip() for block in re.findall(r"```sh\n(.*?)```", section,
                                                                    re.S)
                for line in block.splitlines() if line.strip()]
    inline = re.findall(r"`((?:IQUEST_\w+=\S+ )?make \w+)`", section)
    tested = {  # command → where it is exercised
        "git clone https://github.com/OWNER/iquest-autofix && cd iquest-autofix":
            "scripts/fresh_clone_check.sh",
        "make run": "test_make_run_is_iquest_dev + test_quick_start_from_an_empty_folder",
        "make test": "scripts/fresh_clone_check.sh",
        "IQUEST_WEBHOOK_PROXY_URL=https://smee.io/CHANNEL make run":
            "test_quick_start_from_an_empty_folder (a local channel)",
    }
    assert set(commands) | set(inline) <= set(tested), set(commands) | set(inline)
    assert (ROOT / "scripts" / "fresh_clone_check.sh").exists()
