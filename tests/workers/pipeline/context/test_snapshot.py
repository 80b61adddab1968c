import gzip
import io
import os
import tarfile

import pytest

from workers.pipeline.context.snapshot import (
    SnapshotCache,
    SnapshotError,
    extract_tarball,
    member_path,
)

SHA_A = "a" * 40
SHA_B = "b" * 40
SHA_C = "c" * 40
PREFIX = "acme-shop-0123abc"


def make_tarball(entries: list[tuple[str, str, bytes | str]], prefix: str = PREFIX) -> bytes:
    """A gzip'd tarball shaped like GitHub's: one top folder, then the tree.

    Each entry is (kind, name, data): kind "file" (data = content), "dir", "symlink" or
    "hardlink" (data = link target). Names are used as given when they start with "!".
    """
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        top = tarfile.TarInfo(prefix)
        top.type = tarfile.DIRTYPE
        archive.addfile(top)
        for kind, name, data in entries:
            info = tarfile.TarInfo(name[1:] if name.startswith("!") else f"{prefix}/{name}")
            if kind == "file":
                payload = data.encode() if isinstance(data, str) else data
                info.size = len(payload)
                info.mode = 0o755 if name.endswith(".sh") else 0o644
                archive.addfile(info, io.BytesIO(payload))
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            else:
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.linkname = data
                archive.addfile(info)
    return gzip.compress(buffer.getvalue())


class Downloads:
    """Stands in for GitHub's tarball endpoint and counts what was fetched."""

    def __init__(self, tarballs: dict[str, bytes]):
        self.tarballs = tarballs
        self.calls: list[tuple[str, str, str]] = []

    def __call__(self, owner: str, repo: str, sha: str) -> bytes:
        self.calls.append((owner, repo, sha))
        return self.tarballs[sha]


def test_member_names_lose_github_s_top_folder_and_never_escape():
    assert member_path(f"{PREFIX}/src/app.py") == "src/app.py"
    assert member_path(PREFIX) is None
    assert member_path(f"{PREFIX}/../etc/passwd") is None
    assert member_path("/etc/passwd") is None
    assert member_path("C:/Windows/x") is None


def test_a_tree_is_extracted_with_modes_and_inner_links(tmp_path):
    data = make_tarball(
        [
            ("dir", "src", ""),
            ("file", "src/app.py", "print('hi')\n"),
            ("file", "run.sh", "#!/bin/sh\n"),
            ("symlink", "docs/app.py", "../src/app.py"),
        ]
    )
    size, skipped = extract_tarball(data, tmp_path / "tree", max_bytes=10_000)
    tree = tmp_path / "tree"
    assert (tree / "src/app.py").read_text() == "print('hi')\n"
    assert os.access(tree / "run.sh", os.X_OK) and not os.access(tree / "src/app.py", os.X_OK)
    assert os.readlink(tree / "docs/app.py") == "../src/app.py"
    assert size == len("print('hi')\n") + len("#!/bin/sh\n")
    assert skipped == []


def test_escaping_members_and_links_are_refused(tmp_path):
    data = make_tarball(
        [
            ("file", "ok.py", "x = 1\n"),
            ("file", "!evil/../../outside.txt", "boom"),
            ("file", "!/abs.txt", "boom"),
            ("symlink", "etc", "/etc"),
            ("symlink", "up", "../../.."),
            ("hardlink", "hard", f"{PREFIX}/ok.py"),
        ]
    )
    _, skipped = extract_tarball(data, tmp_path / "tree", max_bytes=10_000)
    assert sorted(os.listdir(tmp_path / "tree")) == ["ok.py"]
    assert not (tmp_path / "outside.txt").exists()
    assert len(skipped) == 5


def test_a_file_cannot_be_written_through_a_directory_link(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    data = make_tarball(
        [("symlink", "sub", "inner"), ("dir", "inner", ""), ("file", "sub/x.py", "ok\n")]
    )
    # "sub" points inside, so writing through it is fine; the result stays in the tree.
    extract_tarball(data, tmp_path / "tree", max_bytes=10_000)
    assert (tmp_path / "tree/inner/x.py").read_text() == "ok\n"
    assert list(outside.iterdir()) == []


def test_too_large_too_many_and_damaged_tarballs_fail(tmp_path):
    big = make_tarball([("file", "big.bin", b"0" * 5000)])
    with pytest.raises(SnapshotError, match="exceeds"):
        extract_tarball(big, tmp_path / "a", max_bytes=1000)
    many = make_tarball([("file", f"f{i}.py", "") for i in range(20)])
    with pytest.raises(SnapshotError, match="more than"):
        extract_tarball(many, tmp_path / "b", max_bytes=1000, max_members=5)
    with pytest.raises(SnapshotError):
        extract_tarball(b"not a tarball at all", tmp_path / "c", max_bytes=1000)
    with pytest.raises(SnapshotError):
        extract_tarball(big[: len(big) // 2], tmp_path / "d", max_bytes=100_000)


def test_a_commit_is_downloaded_once_then_served_from_disk(tmp_path):
    downloads = Downloads({SHA_A: make_tarball([("file", "app.py", "x = 1\n")])})
    cache = SnapshotCache(tmp_path / "cache", downloads, max_bytes=10_000)
    first = cache.get("acme", "shop", SHA_A)
    second = SnapshotCache(tmp_path / "cache", downloads, max_bytes=10_000).get(
        "acme", "shop", SHA_A.upper()
    )
    assert (first.root / "app.py").read_text() == "x = 1\n"
    assert second.root == first.root and second.size_bytes == 6
    assert downloads.calls == [("acme", "shop", SHA_A)]


def test_least_recently_used_snapshots_are_evicted_past_the_cap(tmp_path):
    payload = "x" * 400
    downloads = Downloads(
        {sha: make_tarball([("file", "f.txt", payload)]) for sha in (SHA_A, SHA_B, SHA_C)}
    )
    cache = SnapshotCache(tmp_path / "cache", downloads, max_bytes=1000)
    cache.get("o", "r", SHA_A)
    cache.get("o", "r", SHA_B)
    cache.get("o", "r", SHA_A)  # A is now the most recently used
    cache.get("o", "r", SHA_C)  # 1200 bytes > 1000: B goes
    assert sorted(sha for _, sha, _ in cache.entries()) == [SHA_A, SHA_C]
    assert downloads.calls.count(("o", "r", SHA_A)) == 1


def test_failed_downloads_and_bad_shas_leave_nothing_behind(tmp_path):
    def broken(owner, repo, sha):
        raise ConnectionError("GitHub is down")

    cache = SnapshotCache(tmp_path / "cache", broken)
    with pytest.raises(ConnectionError):
        cache.get("o", "r", SHA_A)
    with pytest.raises(SnapshotError, match="not a commit sha"):
        cache.get("o", "r", "../../etc")
    bad = SnapshotCache(tmp_path / "cache", Downloads({SHA_B: b"garbage"}))
    with pytest.raises(SnapshotError):
        bad.get("o", "r", SHA_B)
    assert list((tmp_path / "cache").iterdir()) == []
