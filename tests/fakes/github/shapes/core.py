"""Response bodies for users, apps, installations and repositories."""

from __future__ import annotations

import base64
from typing import Any

from ..skeleton import Skeletons
from ..state import App, Installation, Repo, User, World, iso

DOCS = "https://docs.github.com/rest"

# The templated URLs GitHub puts in every repository object, relative to its API URL.
REPO_URL_TEMPLATES = {
    "archive_url": "/{archive_format}{/ref}", "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}", "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}", "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}", "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}", "contributors_url": "/contributors",
    "deployments_url": "/deployments", "downloads_url": "/downloads", "events_url": "/events",
    "forks_url": "/forks", "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}", "git_tags_url": "/git/tags{/sha}", "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}", "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}", "labels_url": "/labels{/name}",
    "languages_url": "/languages", "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}", "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers", "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers", "subscription_url": "/subscription", "tags_url": "/tags",
    "teams_url": "/teams", "trees_url": "/git/trees{/sha}",
}


class CoreShapes:
    """Builds schema-shaped dicts from records; every URL points back at the fake."""

    def __init__(self, skel: Skeletons, world: World, api: str, html: str) -> None:
        self.skel, self.world, self.api, self.html = skel, world, api, html

    @staticmethod
    def node_id(kind: str, ident: int | str) -> str:
        # GitHub's legacy global ids: base64 of "0<len(kind)>:<Kind><id>".
        return base64.b64encode(f"0{len(kind)}:{kind}{ident}".encode()).decode()

    def only(self, schema_name: str, obj: dict[str, Any]) -> dict[str, Any]:
        """`obj` cut down to the properties of a smaller schema (lists return less than gets)."""
        props = self.skel.spec.doc["components"]["schemas"][schema_name]["properties"]
        return {k: v for k, v in obj.items() if k in props}

    def repo_api(self, repo: Repo) -> str:
        return f"{self.api}/repos/{repo.full_name}"

    def repo_html(self, repo: Repo) -> str:
        return f"{self.html}/{repo.full_name}"

    def user(self, u: User | None) -> dict[str, Any] | None:
        if u is None:
            return None
        api = f"{self.api}/users/{u.login}"
        return self.skel(
            "simple-user", login=u.login, id=u.id, node_id=self.node_id(u.type, u.id),
            avatar_url=f"https://avatars.githubusercontent.com/u/{u.id}?v=4", gravatar_id="",
            url=api, html_url=f"{self.html}/{u.login}", followers_url=f"{api}/followers",
            following_url=f"{api}/following{{/other_user}}", gists_url=f"{api}/gists{{/gist_id}}",
            starred_url=f"{api}/starred{{/owner}}{{/repo}}",
            subscriptions_url=f"{api}/subscriptions", organizations_url=f"{api}/orgs",
            repos_url=f"{api}/repos", events_url=f"{api}/events{{/privacy}}",
            received_events_url=f"{api}/received_events", type=u.type, site_admin=False,
            user_view_type="public",
        )

    def app(self, a: App) -> dict[str, Any]:
        return self.skel(
            "integration", id=a.id, slug=a.slug, node_id=self.node_id("App", a.id),
            client_id=f"Iv1.{a.id:016x}", owner=self.user(a.owner), name=a.name,
            description="", external_url=f"{self.html}/apps/{a.slug}",
            html_url=f"{self.html}/apps/{a.slug}", created_at="2024-01-01T00:00:00Z",
            updated_at="2024-01-01T00:00:00Z", permissions=dict(a.permissions),
            events=list(a.events),
        )

    def installation(self, i: Installation) -> dict[str, Any]:
        return self.skel(
            "installation", id=i.id, account=self.user(i.account),
            repository_selection=i.repository_selection,
            access_tokens_url=f"{self.api}/app/installations/{i.id}/access_tokens",
            repositories_url=f"{self.api}/installation/repositories",
            html_url=f"{self.html}/settings/installations/{i.id}", app_id=i.app.id,
            app_slug=i.app.slug, target_id=i.account.id, target_type=i.account.type,
            permissions=dict(i.permissions), events=list(i.app.events),
            created_at=iso(i.created_at), updated_at=iso(i.created_at),
            single_file_name=None, suspended_by=None, suspended_at=None,
        )

    def repo(self, r: Repo, full: bool = False) -> dict[str, Any]:
        api, html = self.repo_api(r), self.repo_html(r)
        open_issues = sum(i.state == "open" for i in r.issues.values())
        out = self.skel(
            "full-repository" if full else "repository",
            **{k: api + v for k, v in REPO_URL_TEMPLATES.items()},
            id=r.id, node_id=self.node_id("Repository", r.id), name=r.name,
            full_name=r.full_name, owner=self.user(r.owner), private=r.private,
            visibility="private" if r.private else "public", html_url=html,
            description=r.description, fork=r.fork_of is not None, url=api,
            clone_url=f"{html}.git", git_url=f"git:{html.split('://', 1)[-1]}.git",
            ssh_url=f"git@{html.split('://', 1)[-1].replace('/', ':', 1)}.git", svn_url=html,
            default_branch=r.default_branch, open_issues=open_issues,
            open_issues_count=open_issues, has_issues=True, has_projects=False,
            has_wiki=False, has_pages=False, has_downloads=True, archived=False,
            disabled=False, license=None, pushed_at=iso(r.created_at),
            created_at=iso(r.created_at), updated_at=iso(r.created_at),
        )
        if full and r.fork_of is not None:
            out["parent"] = out["source"] = self.repo(r.fork_of)
        return out

    def association(self, repo: Repo, u: User) -> str:
        if u.type == "Bot":
            return "NONE"
        if u.login.lower() == repo.owner.login.lower():
            return "OWNER"
        return "COLLABORATOR" if u.login.lower() in repo.collaborators else "NONE"

    @staticmethod
    def error(message: str, status: int | None = None) -> dict[str, Any]:
        body = {"message": message, "documentation_url": DOCS}
        if status is not None:
            body["status"] = str(status)
        return body

    @staticmethod
    def validation_error(message: str, errors: list[Any], simple: bool = False) -> dict[str, Any]:
        """GitHub's 422 body; `simple` is the string-list form some operations document."""
        if simple:
            errors = [e if isinstance(e, str) else e.get("message", str(e)) for e in errors]
        else:
            errors = [e if isinstance(e, dict) else {"code": "custom", "message": e}
                      for e in errors]
        return {"message": message, "errors": errors, "documentation_url": DOCS, "status": "422"}
