"""Self-tests of the fake GitHub's contents, tarball, git database and refs."""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import subprocess
import tarfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.github import FakeGitHub, Spec
from tests.fakes.github_helpers import FILES, REPO, status_of


def blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_reads_files_and_directories_at_a_ref(fake: FakeGitHub, rest: Any) -> None:
    fake.commit_files(REPO, "feature", {"pkg/mod.py": "X = 2\n"}, message="add pkg")
    f = rest.repos.get_content("octo", "svc", "utils.py").parsed_data
    data = base64.b64decode(f.content)
    assert data.decode() == FILES["utils.py"] and f.sha == blob_sha(data)
    root = rest.repos.get_content("octo", "svc", "", ref="feature").parsed_data
    assert sorted(i.name for i in root) == ["auth.py", "pkg", "session_store.py", "utils.py"]
    assert {i.name: i.type for i in root}["pkg"] == "dir"
    assert status_of(lambda: rest.repos.get_content("octo", "svc", "pkg/mod.py")) == 404
    raw = rest.repos.get_content("octo", "svc", "pkg/mod.py", ref="feature",
                                 headers={"Accept": "application/vnd.github.raw+json"})
    assert raw.content == b"X = 2\n"
    assert fake.repo(REPO).read_file("feature", "pkg/mod.py") == "X = 2\n"


def test_tarball_redirects_to_a_codeload_gzip(fake: FakeGitHub, rest: Any) -> None:
    head = fake.repo(REPO).branch("main")
    resp = rest.repos.download_tarball_archive("octo", "svc", "main")
    with tarfile.open(fileobj=io.BytesIO(resp.content), mode="r:gz") as tar:
        assert tar.pax_headers["comment"] == head
        top = f"octo-svc-{head[:7]}"
        assert tar.extractfile(f"{top}/auth.py").read().decode() == FILES["auth.py"]
        assert {m.name.split("/")[0] for m in tar.getmembers()} == {top}
    assert fake.calls()[-1].path.startswith("/_codeload/octo/svc/legacy.tar.gz/main")


def test_commit_through_the_git_database(fake: FakeGitHub, rest: Any) -> None:
    main = rest.git.get_ref("octo", "svc", "heads/main").parsed_data.object_.sha
    base_tree = rest.git.get_commit("octo", "svc", main).parsed_data.tree.sha
    new = b"import secrets\n"
    blob = rest.git.create_blob("octo", "svc", content=base64.b64encode(new).decode(),
                                encoding="base64").parsed_data
    assert blob.sha == blob_sha(new)
    assert base64.b64decode(rest.git.get_blob("octo", "svc", blob.sha).parsed_data.content) == new
    tree = rest.git.create_tree("octo", "svc", base_tree=base_tree, tree=[
        {"path": "utils.py", "mode": "100644", "type": "blob", "sha": blob.sha},
        {"path": "tests/test_ids.py", "mode": "100644", "type": "blob", "content": "ok\n"},
        {"path": "session_store.py", "mode": "100644", "type": "blob", "sha": None},
    ]).parsed_data
    commit = rest.git.create_commit("octo", "svc", message="Use secrets", tree=tree.sha,
                                    parents=[main]).parsed_data
    assert commit.author.name == "iquest-autofix[bot]"
    rest.git.create_ref("octo", "svc", ref="refs/heads/iquest/issue-1", sha=commit.sha)
    assert status_of(lambda: rest.git.create_ref("octo", "svc", ref="refs/heads/iquest/issue-1",
                                                 sha=commit.sha)) == 422
    got = rest.repos.get_content("octo", "svc", "utils.py", ref="iquest/issue-1").parsed_data
    assert got.sha == blob.sha and base64.b64decode(got.content) == new
    listing = rest.git.get_tree("octo", "svc", commit.sha, recursive="1").parsed_data
    assert {i.path for i in listing.tree} == {"auth.py", "utils.py", "tests", "tests/test_ids.py"}
    refs = rest.git.list_matching_refs("octo", "svc", "heads/iquest/").parsed_data
    assert [r.ref for r in refs] == ["refs/heads/iquest/issue-1"]
    assert_git_agrees(fake, commit.sha)


def assert_git_agrees(fake: FakeGitHub, head: str) -> None:
    """Real git reads every object the fake stored, under the same ids, and fsck passes."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["git", "init", "-q", "--bare", tmp], check=True)
        for sha, (kind, data) in fake.repo(REPO).git.objects.items():
            path = Path(tmp, "objects", sha[:2], sha[2:])
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(zlib.compress(f"{kind} {len(data)}\0".encode() + data))
        subprocess.run(["git", "-C", tmp, "fsck", "--strict", "--no-dangling"], check=True,
                       capture_output=True)
        out = subprocess.run(["git", "-C", tmp, "show", f"{head}:tests/test_ids.py"],
                             check=True, capture_output=True, text=True).stdout
        assert out == "ok\n"


def test_ref_update_needs_force_unless_fast_forward(fake: FakeGitHub, rest: Any) -> None:
    main = fake.repo(REPO).branch("main")
    side = fake.commit_files(REPO, "side", {"x.txt": "x\n"})
    rest.git.update_ref("octo", "svc", "heads/main", sha=side)  # fast-forward
    assert status_of(lambda: rest.git.update_ref("octo", "svc", "heads/main", sha=main)) == 422
    rest.git.update_ref("octo", "svc", "heads/main", sha=main, force=True)
    assert fake.refs(REPO)["refs/heads/main"] == main


def test_seeded_repositories_have_stable_ids(fake: FakeGitHub, openapi_spec: Spec) -> None:
    other = FakeGitHub(openapi_spec, public_key="unused")
    try:
        assert other.create_repo(REPO, FILES).refs == fake.repo(REPO).refs
    finally:
        other.stop()


def test_branch_and_commit_with_files(fake: FakeGitHub, rest: Any) -> None:
    sha = fake.commit_files(REPO, "main", {"auth.py": "x = 1\n"}, message="shrink")
    assert rest.repos.get_branch("octo", "svc", "main").parsed_data.commit.sha == sha
    commit = rest.repos.get_commit("octo", "svc", "main").parsed_data
    assert commit.commit.message == "shrink" and commit.files[0].filename == "auth.py"
    assert commit.files[0].patch.startswith("@@ -1,5 +1 @@\n-from utils")
    assert status_of(lambda: rest.repos.get_branch("octo", "svc", "nope")) == 404

