"""Git objects (blobs, trees, commits) stored in git's own format, so ids are real SHA-1s."""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
from dataclasses import dataclass

TREE_MODE = "040000"  # how the REST API spells it; git's tree object says "40000"
FILE_MODES = ("100644", "100755", "120000")


def hash_object(kind: str, data: bytes) -> str:
    """What `git hash-object -t <kind>` prints."""
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data).hexdigest()


def kind_of_mode(mode: str) -> str:
    return {"040000": "tree", "40000": "tree", "160000": "commit"}.get(mode, "blob")


@dataclass(frozen=True)
class Entry:
    mode: str  # REST spelling: 100644, 100755, 120000, 040000, 160000
    name: str
    sha: str

    @property
    def kind(self) -> str:
        return kind_of_mode(self.mode)


@dataclass(frozen=True)
class Signature:
    name: str
    email: str
    timestamp: int
    offset: str = "+0000"  # git's ±HHMM

    def render(self) -> str:
        return f"{self.name} <{self.email}> {self.timestamp} {self.offset}"

    @classmethod
    def parse(cls, text: str) -> Signature:
        m = re.fullmatch(r"(.*) <(.*)> (\d+) ([+-]\d{4})", text)
        if not m:
            raise ValueError(f"bad signature {text!r}")
        return cls(m[1], m[2], int(m[3]), m[4])


@dataclass(frozen=True)
class Commit:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author: Signature
    committer: Signature
    message: str


class ObjectStore:
    """A content-addressed object database; ids are SHA-1 over `<kind> <len>\\0<data>`."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[str, bytes]] = {}

    def put(self, kind: str, data: bytes) -> str:
        sha = hash_object(kind, data)
        self.objects.setdefault(sha, (kind, data))
        return sha

    def kind(self, sha: str) -> str | None:
        found = self.objects.get(sha)
        return found[0] if found else None

    def raw(self, sha: str, kind: str) -> bytes:
        found = self.objects.get(sha)
        if found is None or found[0] != kind:
            raise KeyError(f"no {kind} {sha}")
        return found[1]

    def put_blob(self, data: bytes) -> str:
        return self.put("blob", data)

    def put_tree(self, entries: list[Entry]) -> str:
        # git orders entries by name, comparing a subtree's name as if it ended in "/".
        def key(e: Entry) -> bytes:
            return e.name.encode() + (b"/" if e.kind == "tree" else b"")

        body = b"".join(
            f"{e.mode.lstrip('0')} {e.name}".encode() + b"\0" + bytes.fromhex(e.sha)
            for e in sorted(entries, key=key)
        )
        return self.put("tree", body)

    def read_tree(self, sha: str) -> list[Entry]:
        data, out, i = self.raw(sha, "tree"), [], 0
        while i < len(data):
            sp, nul = data.index(b" ", i), data.index(b"\0", i)
            mode = data[i:sp].decode().rjust(6, "0")
            out.append(Entry(mode, data[sp + 1:nul].decode(), data[nul + 1:nul + 21].hex()))
            i = nul + 21
        return out

    def put_commit(self, tree: str, parents: list[str] | tuple[str, ...], author: Signature,
                   committer: Signature, message: str) -> str:
        lines = [f"tree {tree}", *(f"parent {p}" for p in parents),
                 f"author {author.render()}", f"committer {committer.render()}"]
        return self.put("commit", ("\n".join(lines) + "\n\n" + message).encode())

    def read_commit(self, sha: str) -> Commit:
        head, _, message = self.raw(sha, "commit").decode().partition("\n\n")
        fields: dict[str, list[str]] = {}
        for line in head.split("\n"):
            key, _, value = line.partition(" ")
            fields.setdefault(key, []).append(value)
        return Commit(sha, fields["tree"][0], tuple(fields.get("parent", [])),
                      Signature.parse(fields["author"][0]),
                      Signature.parse(fields["committer"][0]), message)

    def is_commit(self, sha: str) -> bool:
        return self.kind(sha) == "commit"

    def files(self, tree: str, prefix: str = "") -> dict[str, Entry]:
        """Every non-tree entry under `tree`, keyed by its full path."""
        out: dict[str, Entry] = {}
        for e in self.read_tree(tree):
            path = prefix + e.name
            if e.kind == "tree":
                out.update(self.files(e.sha, path + "/"))
            else:
                out[path] = Entry(e.mode, path, e.sha)
        return out

    def build_tree(self, files: dict[str, Entry]) -> str:
        """Write the nested trees for a flat {path: entry} map; returns the root tree id."""
        children: dict[str, dict[str, Entry]] = {}
        entries: list[Entry] = []
        for path, e in files.items():
            head, sep, rest = path.partition("/")
            if sep:
                children.setdefault(head, {})[rest] = e
            else:
                entries.append(Entry(e.mode, head, e.sha))
        for name, sub in children.items():
            entries.append(Entry(TREE_MODE, name, self.build_tree(sub)))
        return self.put_tree(entries)

    def lookup(self, tree: str, path: str) -> Entry | None:
        """The entry at `path` (`""` is the root tree itself)."""
        entry = Entry(TREE_MODE, "", tree)
        for part in [p for p in path.split("/") if p]:
            if entry.kind != "tree":
                return None
            entry = next((e for e in self.read_tree(entry.sha) if e.name == part), None)
            if entry is None:
                return None
        return entry

    def ancestors(self, sha: str) -> list[str]:
        """`sha` and every commit reachable from it, nearest first."""
        seen, order, queue = set(), [], [sha]
        while queue:
            cur = queue.pop(0)
            if cur in seen or not self.is_commit(cur):
                continue
            seen.add(cur)
            order.append(cur)
            queue.extend(self.read_commit(cur).parents)
        return order

    def merge_base(self, a: str, b: str) -> str | None:
        reachable = set(self.ancestors(a))
        return next((c for c in self.ancestors(b) if c in reachable), None)

    def tarball(self, commit: str, prefix: str) -> bytes:
        """A gzip tarball like codeload's: one top folder, the commit id as pax comment."""
        c = self.read_commit(commit)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT,
                          pax_headers={"comment": commit}) as tar:
            top = tarfile.TarInfo(prefix.rstrip("/"))
            top.type, top.mode, top.mtime = tarfile.DIRTYPE, 0o775, c.committer.timestamp
            tar.addfile(top)
            for path, e in sorted(self.files(c.tree).items()):
                info = tarfile.TarInfo(f"{prefix.rstrip('/')}/{path}")
                info.mtime = c.committer.timestamp
                if e.kind != "blob":
                    continue  # submodules come out as empty folders on GitHub; skip them
                data = self.raw(e.sha, "blob")
                if e.mode == "120000":
                    info.type, info.linkname = tarfile.SYMTYPE, data.decode()
                    tar.addfile(info)
                    continue
                info.size, info.mode = len(data), 0o775 if e.mode == "100755" else 0o664
                tar.addfile(info, io.BytesIO(data))
        return buf.getvalue()
