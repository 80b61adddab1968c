"""Response bodies for labels, reactions, issues and issue comments."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ..state import Comment, Issue, Reaction, Repo, iso
from .git import GitShapes

REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket")


class IssueShapes(GitShapes):
    def label(self, repo: Repo, name: str) -> dict[str, Any]:
        ident, color, description = repo.labels[name]
        return {"id": ident, "node_id": self.node_id("Label", ident),
                "url": f"{self.repo_api(repo)}/labels/{quote(name)}", "name": name,
                "description": description, "color": color, "default": False,
                # Not in the shared description yet, but githubkit's models require them.
                "archived_at": None, "archived_by": None}

    def reaction(self, r: Reaction) -> dict[str, Any]:
        return {"id": r.id, "node_id": self.node_id("Reaction", r.id), "user": self.user(r.user),
                "content": r.content, "created_at": iso(r.created_at)}

    @staticmethod
    def rollup(url: str, reactions: list[Reaction]) -> dict[str, Any]:
        out: dict[str, Any] = {"url": f"{url}/reactions", "total_count": len(reactions)}
        out.update({k: sum(r.content == k for r in reactions) for k in REACTIONS})
        return out

    def issue(self, repo: Repo, i: Issue) -> dict[str, Any]:
        api = f"{self.repo_api(repo)}/issues/{i.number}"
        kind = "pull" if i.is_pull else "issues"
        out = self.skel(
            "issue", id=i.id, node_id=self.node_id("PullRequest" if i.is_pull else "Issue", i.id),
            url=api, repository_url=self.repo_api(repo),
            labels_url=f"{api}/labels{{/name}}", comments_url=f"{api}/comments",
            events_url=f"{api}/events", html_url=f"{self.repo_html(repo)}/{kind}/{i.number}",
            number=i.number, state=i.state, state_reason=i.state_reason, title=i.title,
            body=i.body, user=self.user(i.user), labels=[self.label(repo, n) for n in i.labels],
            assignee=None, assignees=[], milestone=None, locked=False,
            active_lock_reason=None, comments=len(i.comments), closed_at=_iso(i.closed_at),
            created_at=iso(i.created_at), updated_at=iso(i.updated_at),
            author_association=self.association(repo, i.user),
            reactions=self.rollup(api, i.reactions), timeline_url=f"{api}/timeline",
            performed_via_github_app=None,
        )
        if i.is_pull:
            pulls = f"{self.repo_api(repo)}/pulls/{i.number}"
            html = f"{self.repo_html(repo)}/pull/{i.number}"
            out["pull_request"] = {"url": pulls, "html_url": html, "diff_url": f"{html}.diff",
                                   "patch_url": f"{html}.patch", "merged_at": None}
            out["draft"] = repo.pulls[i.number].draft
        return out

    def comment(self, repo: Repo, c: Comment) -> dict[str, Any]:
        api = f"{self.repo_api(repo)}/issues/comments/{c.id}"
        issue = repo.issues[c.issue_number]
        kind = "pull" if issue.is_pull else "issues"
        return self.skel(
            "issue-comment", id=c.id, node_id=self.node_id("IssueComment", c.id), url=api,
            html_url=f"{self.repo_html(repo)}/{kind}/{c.issue_number}#issuecomment-{c.id}",
            issue_url=f"{self.repo_api(repo)}/issues/{c.issue_number}", body=c.body,
            user=self.user(c.user), created_at=iso(c.created_at), updated_at=iso(c.updated_at),
            author_association=self.association(repo, c.user),
            performed_via_github_app=self.app(c.via_app) if c.via_app else None,
            reactions=self.rollup(api, c.reactions),
        )


def _iso(when: Any) -> str | None:
    return iso(when) if when else None
