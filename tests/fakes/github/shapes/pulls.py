"""Response bodies for pull requests, reviews, review comments and check runs."""

from __future__ import annotations

from typing import Any

from .. import pulldiff
from ..state import CheckRun, Pull, Repo, Review, ReviewComment, iso
from .issues import IssueShapes, _iso


def href(url: str) -> dict[str, str]:
    return {"href": url}


class PullShapes(IssueShapes):
    def pull_end(self, repo: Repo, ref: str, sha: str) -> dict[str, Any]:
        return {"label": f"{repo.owner.login}:{ref}", "ref": ref, "sha": sha,
                "user": self.user(repo.owner), "repo": self.repo(repo)}

    def pull(self, repo: Repo, p: Pull) -> dict[str, Any]:
        i, api = repo.issues[p.number], f"{self.repo_api(repo)}/pulls/{p.number}"
        html = f"{self.repo_html(repo)}/pull/{p.number}"
        issue_api = f"{self.repo_api(repo)}/issues/{p.number}"
        head = p.head_sha()
        files = pulldiff.files(repo, p)
        review_comments = sum(c.pull_number == p.number for c in repo.review_comments.values())
        return self.skel(
            "pull-request", url=api, id=p.id, node_id=self.node_id("PullRequest", p.id),
            html_url=html, diff_url=f"{html}.diff", patch_url=f"{html}.patch",
            issue_url=issue_api, commits_url=f"{api}/commits",
            review_comments_url=f"{api}/comments",
            review_comment_url=f"{self.repo_api(repo)}/pulls/comments{{/number}}",
            comments_url=f"{issue_api}/comments",
            statuses_url=f"{self.repo_api(repo)}/statuses/{head}", number=p.number,
            state=i.state, locked=False, title=i.title, user=self.user(i.user), body=i.body,
            labels=[self.label(repo, n) for n in i.labels], milestone=None,
            active_lock_reason=None, created_at=iso(i.created_at),
            updated_at=iso(i.updated_at), closed_at=_iso(i.closed_at), merged_at=None,
            merge_commit_sha=None, assignee=None, assignees=[], requested_reviewers=[],
            requested_teams=[], head=self.pull_end(p.head_repo, p.head_ref, head),
            base=self.pull_end(repo, p.base_ref, pulldiff.base_sha(repo, p)),
            _links={"self": href(api), "html": href(html), "issue": href(issue_api),
                    "comments": href(f"{issue_api}/comments"),
                    "review_comments": href(f"{api}/comments"),
                    "review_comment": href(f"{self.repo_api(repo)}/pulls/comments{{/number}}"),
                    "commits": href(f"{api}/commits"),
                    "statuses": href(f"{self.repo_api(repo)}/statuses/{head}")},
            author_association=self.association(repo, i.user), auto_merge=None,
            draft=p.draft, merged=p.merged, mergeable=True, rebaseable=True,
            mergeable_state="draft" if p.draft else "clean", merged_by=None,
            comments=len(i.comments), review_comments=review_comments,
            maintainer_can_modify=p.maintainer_can_modify,
            commits=len(pulldiff.commits(repo, p)),
            additions=sum(f.additions for f in files), deletions=sum(f.deletions for f in files),
            changed_files=len(files),
        )

    def review(self, repo: Repo, r: Review) -> dict[str, Any]:
        html = f"{self.repo_html(repo)}/pull/{r.pull_number}#pullrequestreview-{r.id}"
        pull_api = f"{self.repo_api(repo)}/pulls/{r.pull_number}"
        out = {"id": r.id, "node_id": self.node_id("PullRequestReview", r.id),
               "user": self.user(r.user), "body": r.body, "state": r.state, "html_url": html,
               "pull_request_url": pull_api, "commit_id": r.commit_id,
               "_links": {"html": href(html), "pull_request": href(pull_api)},
               "author_association": self.association(repo, r.user)}
        if r.submitted_at is not None:
            out["submitted_at"] = iso(r.submitted_at)
        return out

    def review_comment(self, repo: Repo, c: ReviewComment) -> dict[str, Any]:
        api = f"{self.repo_api(repo)}/pulls/comments/{c.id}"
        html = f"{self.repo_html(repo)}/pull/{c.pull_number}#discussion_r{c.id}"
        pull_api = f"{self.repo_api(repo)}/pulls/{c.pull_number}"
        out: dict[str, Any] = {
            "url": api, "pull_request_review_id": c.review_id, "id": c.id,
            "node_id": self.node_id("PullRequestReviewComment", c.id), "diff_hunk": c.diff_hunk,
            "path": c.path, "commit_id": c.commit_id, "original_commit_id": c.commit_id,
            "user": self.user(c.user), "body": c.body, "created_at": iso(c.created_at),
            "updated_at": iso(c.updated_at), "html_url": html, "pull_request_url": pull_api,
            "author_association": self.association(repo, c.user),
            "_links": {"self": href(api), "html": href(html), "pull_request": href(pull_api)},
            "start_line": c.start_line, "original_start_line": c.start_line,
            "start_side": c.start_side, "subject_type": c.subject_type,
            "reactions": self.rollup(api, c.reactions),
        }
        if c.position is not None:
            out["position"] = out["original_position"] = c.position
        if c.line is not None:
            out.update(line=c.line, original_line=c.line, side=c.side)
        if c.in_reply_to_id is not None:
            out["in_reply_to_id"] = c.in_reply_to_id
        return out

    def check_run(self, repo: Repo, run: CheckRun) -> dict[str, Any]:
        api = f"{self.repo_api(repo)}/check-runs/{run.id}"
        out = dict(run.output)
        pulls = [p for p in repo.pulls.values()
                 if repo.issues[p.number].state == "open" and p.head_sha() == run.head_sha]
        return {
            "id": run.id, "node_id": self.node_id("CheckRun", run.id), "head_sha": run.head_sha,
            "external_id": run.external_id, "url": api,
            "html_url": f"{self.repo_html(repo)}/runs/{run.id}", "details_url": run.details_url,
            "status": run.status, "conclusion": run.conclusion,
            "started_at": _iso(run.started_at), "completed_at": _iso(run.completed_at),
            "output": {"title": out.get("title"), "summary": out.get("summary"),
                       "text": out.get("text"),
                       "annotations_count": len(out.get("annotations", [])),
                       "annotations_url": f"{api}/annotations"},
            "name": run.name, "check_suite": {"id": run.check_suite_id},
            "app": self.app(run.app),
            "pull_requests": [self.pull_minimal(repo, p) for p in pulls],
        }

    def check_annotation(self, repo: Repo, run: CheckRun, a: dict[str, Any]) -> dict[str, Any]:
        # Stored as the creator sent them (POST/PATCH output.annotations); GitHub fills the rest.
        return {
            "path": a["path"], "start_line": a["start_line"], "end_line": a["end_line"],
            "start_column": a.get("start_column"), "end_column": a.get("end_column"),
            "annotation_level": a.get("annotation_level"), "title": a.get("title"),
            "message": a.get("message"), "raw_details": a.get("raw_details"),
            "blob_href": f"{self.repo_html(repo)}/blob/{run.head_sha}/{a['path']}",
        }

    def pull_minimal(self, repo: Repo, p: Pull) -> dict[str, Any]:
        def end(r: Repo, ref: str, sha: str) -> dict[str, Any]:
            return {"ref": ref, "sha": sha,
                    "repo": {"id": r.id, "url": self.repo_api(r), "name": r.name}}

        return {"id": p.id, "number": p.number, "url": f"{self.repo_api(repo)}/pulls/{p.number}",
                "head": end(p.head_repo, p.head_ref, p.head_sha()),
                "base": end(repo, p.base_ref, pulldiff.base_sha(repo, p))}
