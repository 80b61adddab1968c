"""Installed as users install it: build the wheel, install it into a fresh virtual environment,
start `iquest serve` from an empty folder (GET /setup is 200), render a fix prompt and a message.

Offline and quick: the wheel is built without build isolation, installed with --no-deps, and the
new environment borrows the already-installed dependencies through a .pth file naming this
environment's site-packages (a plain path: the checkout's own editable install stays invisible).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pytest

from workers.ledger.database import head_revision

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _copy_tracked_sources(dest: Path) -> None:
    # Building in place would leave build/ and *.egg-info in the checkout.
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if name.startswith("tests/"):
            continue
        source, target = ROOT / name, dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        elif source.exists():
            shutil.copy2(source, target)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh venv holding only the built wheel (plus borrowed deps)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to list the sources")
    base = tmp_path_factory.mktemp("wheel")
    _copy_tracked_sources(base / "src")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", "-w", str(base / "dist"),
                    str(base / "src")], check=True)
    [wheel] = (base / "dist").glob("iquest_autofix-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                    "install", "--quiet", "--no-deps", "--no-index", str(wheel)], check=True)
    site = subprocess.run([str(venv / "bin" / "python"), "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def test_the_wheel_carries_the_package_data(installed: Path, tmp_path: Path) -> None:
    script = (
        "import service, workers\n"
        "from service.manifest import load_manifest\n"
        "from workers.pipeline.prompts.fix import IssueText, render_fix_prompt\n"
        "from workers.intake.messages import render_status, StatusState\n"
        "print(service.__file__)\n"
        "print(load_manifest()['name'])\n"
        "messages = render_fix_prompt('octo/service', 'app.py\\n1 | x = 1',\n"
        "    IssueText(7, 'Crash on login', 'Traceback ...', []))\n"
        "print(len(messages), 'Crash on login' in messages[-1].content)\n"
        "print('Queued' in render_status(7, StatusState.QUEUED, 'job-1'))\n"
    )
    out = subprocess.run([str(installed / "python"), "-c", script], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0].startswith(str(installed.parent)), out  # the wheel's copy, not the checkout
    assert out[1:] == ["iquest-autofix", "2 True", "True"]


def test_iquest_serve_from_an_empty_folder_serves_setup(installed: Path, tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IQUEST_")}
    env.update(IQUEST_WEBHOOK_SECRET="wheel-test", IQUEST_DATA_DIR=str(tmp_path / "data"))
    process = subprocess.Popen([str(installed / "iquest"), "serve", "--port", str(port)],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/setup", timeout=1)
                break
            except httpx.HTTPError:
                assert process.poll() is None, process.communicate()[0]
                assert time.monotonic() < deadline, "iquest serve did not come up"
                time.sleep(0.1)
        # Without the setup token printed at start, /setup is shut; with it, it opens.
        assert page.status_code == 403 and "needs the setup token" in page.text
        printed = process.stdout.readline()
        assert "register it at http://127.0.0.1:" in printed, printed
        setup_url = printed.split("register it at ", 1)[1].strip()
        start = httpx.get(setup_url)
        assert start.status_code == 200 and "Create the GitHub App" in start.text
        token = setup_url.split("token=", 1)[1]
        form = httpx.post(f"http://127.0.0.1:{port}/setup", data={"token": token})
        assert "settings/apps/new" in form.text
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # nothing else written


def test_a_missing_manifest_stops_serve_at_start_up(installed: Path, tmp_path: Path) -> None:
    [manifest] = installed.parent.glob("lib/python*/site-packages/service/app.yml")
    hidden = manifest.with_name("app.yml.hidden")
    manifest.rename(hidden)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("IQUEST_")}
        env.update(IQUEST_WEBHOOK_SECRET="wheel-test", IQUEST_DATA_DIR=str(tmp_path / "data"))
        result = subprocess.run([str(installed / "iquest"), "serve", "--port", str(_free_port())],
                                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    finally:
        hidden.rename(manifest)
    assert result.returncode == 2
    assert "manifest service/app.yml is missing from this installation" in result.stderr


def test_the_installed_wheel_migrates_the_ledger_and_reports(installed: Path, tmp_path: Path) -> None:
    """The Alembic migrations ship as package data: `iquest db upgrade` works from anywhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IQUEST_")}
    env.update(IQUEST_DATA_DIR=str(tmp_path / "data"))
    before = subprocess.run([str(installed / "iquest"), "report"], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert before.returncode == 1 and "run `iquest db upgrade`" in before.stderr
    upgraded = subprocess.run([str(installed / "iquest"), "db", "upgrade"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, check=True)
    assert f"ledger at revision {head_revision()}" in upgraded.stdout
    assert (tmp_path / "data" / "ledger.sqlite3").is_file()
    report = subprocess.run([str(installed / "iquest"), "report", "--json", "--since", "7d"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert json.loads(report.stdout)["totals"]["fixes"] == 0
    text = subprocess.run([str(installed / "iquest"), "report", "--repo", "acme/shop"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert "Fixes published in the last 30 days (0 still open)." in text.stdout
    assert "| all | 0 |" in text.stdout
    bad = subprocess.run([str(installed / "iquest"), "report", "--since", "a month"], cwd=tmp_path,
                         env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "--since takes a number and h, d or w" in bad.stderr
