"""Response bodies for git objects, contents, commits, branches and file diffs."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from ..diffs import FileDiff
from ..gitobjects import Entry, Signature
from ..state import Repo, iso
from .core import CoreShapes


def b64_lines(data: bytes) -> str:
    # GitHub wraps base64 content at 60 characters, each line ending in "\n".
    text = base64.b64encode(data).decode()
    return "".join(text[i:i + 60] + "\n" for i in range(0, len(text), 60))


def signature_date(sig: Signature) -> str:
    sign = 1 if sig.offset[0] == "+" else -1
    delta = timedelta(hours=int(sig.offset[1:3]), minutes=int(sig.offset[3:5])) * sign
    local = datetime.fromtimestamp(sig.timestamp, UTC) + delta
    if not delta:
        return iso(local)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f"{sig.offset[:3]}:{sig.offset[3:]}"


class GitShapes(CoreShapes):
    def git_user(self, sig: Signature) -> dict[str, Any]:
        return {"name": sig.name, "email": sig.email, "date": signature_date(sig)}

    def git_ref(self, repo: Repo, ref: str) -> dict[str, Any]:
        sha = repo.refs[ref]
        kind = repo.git.kind(sha) or "commit"
        return {
            "ref": ref, "node_id": self.node_id("Ref", f"{repo.id}:{ref}"),
            "url": f"{self.repo_api(repo)}/git/{ref}",
            "object": {"type": kind, "sha": sha,
                       "url": f"{self.repo_api(repo)}/git/{kind}s/{sha}"},
        }

    def git_commit(self, repo: Repo, sha: str) -> dict[str, Any]:
        c, api = repo.git.read_commit(sha), self.repo_api(repo)
        return self.skel(
            "git-commit", sha=sha, node_id=self.node_id("Commit", sha),
            url=f"{api}/git/commits/{sha}", html_url=f"{self.repo_html(repo)}/commit/{sha}",
            author=self.git_user(c.author), committer=self.git_user(c.committer),
            message=c.message, tree={"sha": c.tree, "url": f"{api}/git/trees/{c.tree}"},
            parents=[{"sha": p, "url": f"{api}/git/commits/{p}",
                      "html_url": f"{self.repo_html(repo)}/commit/{p}"} for p in c.parents],
            verification={"verified": False, "reason": "unsigned", "signature": None,
                          "payload": None, "verified_at": None},
        )

    def tree_item(self, repo: Repo, path: str, e: Entry) -> dict[str, Any]:
        item = {"path": path, "mode": e.mode, "type": e.kind, "sha": e.sha}
        if e.kind == "blob":
            item["size"] = len(repo.git.raw(e.sha, "blob"))
        if e.kind != "commit":
            item["url"] = f"{self.repo_api(repo)}/git/{e.kind}s/{e.sha}"
        return item

    def git_tree(self, repo: Repo, sha: str, recursive: bool) -> dict[str, Any]:
        items: list[dict[str, Any]] = []

        def walk(tree: str, prefix: str) -> None:
            for e in repo.git.read_tree(tree):
                items.append(self.tree_item(repo, prefix + e.name, e))
                if recursive and e.kind == "tree":
                    walk(e.sha, prefix + e.name + "/")

        walk(sha, "")
        return {"sha": sha, "url": f"{self.repo_api(repo)}/git/trees/{sha}", "tree": items,
                "truncated": False}

    def blob(self, repo: Repo, sha: str) -> dict[str, Any]:
        data = repo.git.raw(sha, "blob")
        return {"sha": sha, "node_id": self.node_id("Blob", sha), "size": len(data),
                "url": f"{self.repo_api(repo)}/git/blobs/{sha}",
                "content": b64_lines(data), "encoding": "base64"}

    def content_item(self, repo: Repo, ref: str, path: str, e: Entry,
                     with_content: bool) -> dict[str, Any]:
        api, quoted = self.repo_api(repo), quote(path)
        kind = {"tree": "dir", "commit": "submodule"}.get(e.kind, "file")
        if e.mode == "120000":
            kind = "symlink"
        html = f"{self.repo_html(repo)}/{'tree' if kind == 'dir' else 'blob'}/{ref}/{quoted}"
        git_url = f"{api}/git/{e.kind}s/{e.sha}" if kind != "submodule" else None
        item: dict[str, Any] = {
            "type": kind, "name": path.rsplit("/", 1)[-1], "path": path, "sha": e.sha,
            "size": len(repo.git.raw(e.sha, "blob")) if e.kind == "blob" else 0,
            "url": f"{api}/contents/{quoted}?ref={quote(ref, safe='')}",
            "html_url": html, "git_url": git_url,
            "download_url": (f"{self.html}/raw/{repo.full_name}/{ref}/{quoted}"
                             if kind == "file" else None),
        }
        item["_links"] = {"self": item["url"], "git": git_url, "html": html}
        if with_content and kind == "file":
            item["content"] = b64_lines(repo.git.raw(e.sha, "blob"))
            item["encoding"] = "base64"
        return item

    def commit(self, repo: Repo, sha: str, files: list[FileDiff] | None = None) -> dict[str, Any]:
        c, api = repo.git.read_commit(sha), self.repo_api(repo)
        out = self.skel(
            "commit", sha=sha, node_id=self.node_id("Commit", sha),
            url=f"{api}/commits/{sha}", html_url=f"{self.repo_html(repo)}/commit/{sha}",
            comments_url=f"{api}/commits/{sha}/comments",
            commit={"url": f"{api}/git/commits/{sha}", "author": self.git_user(c.author),
                    "committer": self.git_user(c.committer), "message": c.message,
                    "comment_count": 0,
                    "tree": {"sha": c.tree, "url": f"{api}/git/trees/{c.tree}"},
                    "verification": {"verified": False, "reason": "unsigned",
                                     "signature": None, "payload": None,
                                     "verified_at": None}},
            # GitHub links the commit to an account by e-mail; unknown e-mails give null.
            author=self.user_for_email(c.author.email),
            committer=self.user_for_email(c.committer.email),
            parents=[{"sha": p, "url": f"{api}/commits/{p}",
                      "html_url": f"{self.repo_html(repo)}/commit/{p}"} for p in c.parents],
        )
        if files is not None:
            out["files"] = [self.diff_entry(repo, sha, f) for f in files]
            adds = sum(f.additions for f in files)
            dels = sum(f.deletions for f in files)
            out["stats"] = {"additions": adds, "deletions": dels, "total": adds + dels}
        return out

    def user_for_email(self, email: str) -> dict[str, Any] | None:
        local = email.split("@", 1)[0]
        if email.endswith("@users.noreply.github.com"):
            login = local.split("+", 1)[-1]
            return self.user(self.world.users.get(login.lower()))
        return next((self.user(u) for u in self.world.users.values()
                     if email.lower() == f"{u.login.lower()}@example.com"), None)

    def diff_entry(self, repo: Repo, ref: str, f: FileDiff) -> dict[str, Any]:
        e = f.new or f.old
        assert e is not None
        quoted = quote(f.path)
        out: dict[str, Any] = {
            "sha": e.sha, "filename": f.path, "status": f.status,
            "additions": f.additions, "deletions": f.deletions,
            "changes": f.additions + f.deletions,
            "blob_url": f"{self.repo_html(repo)}/blob/{ref}/{quoted}",
            "raw_url": f"{self.repo_html(repo)}/raw/{ref}/{quoted}",
            "contents_url": f"{self.repo_api(repo)}/contents/{quoted}?ref={ref}",
        }
        if f.patch is not None:
            out["patch"] = f.patch
        return out

    def branch(self, repo: Repo, name: str) -> dict[str, Any]:
        api = self.repo_api(repo)
        return self.skel(
            "branch-with-protection", name=name,
            commit=self.commit(repo, repo.refs[f"refs/heads/{name}"]),
            _links={"html": f"{self.repo_html(repo)}/tree/{name}",
                    "self": f"{api}/branches/{name}"},
            protected=False, protection={"enabled": False, "required_status_checks": {
                "enforcement_level": "off", "contexts": [], "checks": []}},
            protection_url=f"{api}/branches/{name}/protection",
        )
