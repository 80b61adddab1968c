"""Repository snapshots on disk: one tarball per commit, extracted safely, cached by sha with LRU eviction."""

from __future__ import annotations

import io
import json
import os
import posixpath
import re
import shutil
import tarfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workers.pipeline.timing import Stage, StageTimer, untimed

# fetch_tarball(owner, repo, sha) -> the bytes of GitHub's tarball for that commit.
FetchTarball = Callable[[str, str, str], bytes]

_SHA = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
_META = "snapshot.json"
_TREE = "tree"
DEFAULT_MAX_BYTES = 4 << 30
DEFAULT_MAX_MEMBERS = 500_000


class SnapshotError(RuntimeError):
    """The tarball cannot be turned into a usable snapshot."""


@dataclass(frozen=True)
class Snapshot:
    """An extracted tree for one commit; `skipped` lists members refused as unsafe."""

    sha: str
    root: Path
    size_bytes: int
    skipped: tuple[str, ...]


class SnapshotCache:
    """Extracted trees under `directory/<sha>/tree`, at most `max_bytes` in all, least used evicted.

    One download per commit instead of one request per file. The download is injected
    (`fetch_tarball`), so this module never talks to GitHub itself.
    """

    def __init__(
        self,
        directory: str | Path,
        fetch_tarball: FetchTarball,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_members: int = DEFAULT_MAX_MEMBERS,
        timer: StageTimer = untimed,
    ):
        self.directory = Path(directory)
        self._timer = timer
        self.fetch_tarball = fetch_tarball
        self.max_bytes = max_bytes
        self.max_members = max_members
        self.directory.mkdir(parents=True, exist_ok=True)

    def get(self, owner: str, repo: str, sha: str) -> Snapshot:
        """The snapshot of owner/repo at sha, downloading and extracting it on a miss."""
        with self._timer(Stage.SNAPSHOT):
            return self._get(owner, repo, sha)

    def _get(self, owner: str, repo: str, sha: str) -> Snapshot:
        sha = sha.lower()
        if not _SHA.match(sha):
            raise SnapshotError(f"not a commit sha: {sha!r}")
        cached = self._load(sha)
        if cached is not None:
            self._touch(sha)
            return cached
        data = self.fetch_tarball(owner, repo, sha)
        staging = self.directory / f".staging-{uuid.uuid4().hex}"
        try:
            size, skipped = extract_tarball(data, staging / _TREE, self.max_bytes, self.max_members)
            meta = {
                "owner": owner,
                "repo": repo,
                "sha": sha,
                "size_bytes": size,
                "skipped": skipped,
                "used": time.time(),
            }
            (staging / _META).write_text(json.dumps(meta))
            try:
                os.rename(staging, self.directory / sha)
            except OSError:
                # Another worker finished the same commit first; theirs is as good as ours.
                shutil.rmtree(staging, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self.evict(keep=sha)
        snapshot = self._load(sha)
        if snapshot is None:
            raise SnapshotError(f"snapshot {sha} vanished while it was being stored")
        return snapshot

    def entries(self) -> list[tuple[float, str, int]]:
        """(last used, sha, bytes) of every stored snapshot, least recently used first."""
        found = []
        for child in self.directory.iterdir():
            meta = _read_meta(child / _META)
            if meta is not None:
                found.append((float(meta.get("used", 0.0)), child.name, int(meta["size_bytes"])))
        return sorted(found)

    def evict(self, keep: str | None = None) -> list[str]:
        """Drop least recently used snapshots until the total fits; never the one in `keep`."""
        entries = self.entries()
        total = sum(size for _, _, size in entries)
        removed = []
        for _, sha, size in entries:
            if total <= self.max_bytes:
                break
            if sha == keep:
                continue
            shutil.rmtree(self.directory / sha, ignore_errors=True)
            total -= size
            removed.append(sha)
        return removed

    def _load(self, sha: str) -> Snapshot | None:
        meta = _read_meta(self.directory / sha / _META)
        if meta is None:
            return None
        return Snapshot(
            sha,
            self.directory / sha / _TREE,
            int(meta["size_bytes"]),
            tuple(meta.get("skipped", ())),
        )

    def _touch(self, sha: str) -> None:
        path = self.directory / sha / _META
        meta = _read_meta(path)
        if meta is not None:
            meta["used"] = max(time.time(), float(meta.get("used", 0.0)) + 1e-6)
            temporary = path.with_suffix(f".{uuid.uuid4().hex}")
            temporary.write_text(json.dumps(meta))
            os.replace(temporary, path)


def _read_meta(path: Path) -> dict | None:
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and "size_bytes" in meta else None


def member_path(name: str) -> str | None:
    """The repo-relative path of a tarball member, GitHub's `owner-repo-sha/` folder stripped.

    None for the top folder itself and for any name that is absolute or climbs out.
    """
    name = name.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if len(parts) < 2 or ".." in parts:
        return None
    return "/".join(parts[1:])


def _link_target_inside(path: str, target: str) -> bool:
    if target.startswith("/") or not target:
        return False
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    return resolved != ".." and not resolved.startswith("../") and not resolved.startswith("/")


def extract_tarball(
    data: bytes, destination: Path, max_bytes: int, max_members: int = DEFAULT_MAX_MEMBERS
) -> tuple[int, list[str]]:
    """Extract a gzip'd (or plain) tarball below destination; return (bytes written, skipped).

    Regular files and directories are written; symlinks only when they stay inside the
    tree; hard links, devices and FIFOs never. Sizes are checked before writing, so a
    tarball larger than max_bytes fails without filling the disk.
    """
    destination.mkdir(parents=True)
    base = destination.resolve()
    total, count, skipped = 0, 0, []
    with _open_archive(data) as archive:
        try:
            for member in archive:
                count += 1
                if count > max_members:
                    raise SnapshotError(f"tarball has more than {max_members} entries")
                rel = member_path(member.name)
                if rel is None:
                    if member.isfile() or member.issym() or member.islnk():
                        skipped.append(member.name)
                    continue
                target = base / rel
                if not target.resolve().is_relative_to(base) and not member.issym():
                    skipped.append(member.name)
                    continue
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                elif member.isfile():
                    total += member.size
                    if total > max_bytes:
                        raise SnapshotError(f"snapshot exceeds {max_bytes} bytes")
                    _write_file(archive, member, target, base)
                elif member.issym() and _link_target_inside(rel, member.linkname):
                    target.parent.mkdir(parents=True, exist_ok=True)
                    if not target.exists() and not target.is_symlink():
                        os.symlink(member.linkname, target)
                else:
                    skipped.append(member.name)
        except (tarfile.TarError, EOFError, OSError) as error:
            raise SnapshotError(f"tarball is damaged: {error}") from error
    return total, skipped


def _open_archive(data: bytes) -> tarfile.TarFile:
    try:
        return tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
    except (tarfile.TarError, EOFError, OSError) as error:
        raise SnapshotError(f"not a readable tarball: {error}") from error


def _write_file(
    archive: tarfile.TarFile, member: tarfile.TarInfo, target: Path, base: Path
) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # A directory symlink earlier in the archive must not redirect a later file outside.
    if not target.parent.resolve().is_relative_to(base):
        raise SnapshotError(f"member {member.name} would be written outside the tree")
    if target.is_symlink():
        target.unlink()
    source = archive.extractfile(member)
    if source is None:
        raise SnapshotError(f"member {member.name} has no data")
    with source, open(target, "wb") as out:
        shutil.copyfileobj(source, out)
    os.chmod(target, 0o755 if member.mode & 0o111 else 0o644)
    # GitHub stamps every member with the commit's date: test environments resolve as of it.
    os.utime(target, (member.mtime, member.mtime))
