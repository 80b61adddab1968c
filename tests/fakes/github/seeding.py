"""The seeding API tests use to set the scene: installations, repositories, issues, PRs, reviews."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import actions, auth
from .state import (
    App,
    CheckRun,
    CodeScanningAlert,
    Comment,
    HookDelivery,
    Installation,
    Issue,
    Pull,
    Repo,
    Review,
    ReviewComment,
    now,
)

if TYPE_CHECKING:
    import threading

    from .state import World

# Seeded commits carry fixed dates, so a seeded repository has the same commit ids every run.
SEED_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def as_bytes(data: str | bytes) -> bytes:
    return data.encode() if isinstance(data, str) else data


class Seeding:
    world: World
    app: App
    lock: threading.RLock
    url: str

    def add_installation(self, installation_id: int, account: str, *,
                         permissions: dict[str, str] | None = None,
                         repositories: Iterable[str] | None = None,
                         account_type: str = "User") -> Installation:
        """Install the app on `account` (User or Organization): on all its repositories, or
        only on `repositories` (create those first); `permissions` default to the app's."""
        with self.lock:
            owner = self.world.user(account, account_type)
            inst = Installation(installation_id, self.app, owner,
                                dict(permissions or self.app.permissions),
                                "all" if repositories is None else "selected")
            self.world.installations[installation_id] = inst
            for name in repositories or []:
                full = name if "/" in name else f"{account}/{name}"
                inst.repo_ids.add(self._repo(full).id)
            return inst

    def create_repo(self, full_name: str, files: dict[str, str | bytes] | None = None, *,
                    default_branch: str = "main", private: bool = True,
                    description: str | None = None, fork_of: str | None = None,
                    author: str | None = None, message: str = "Initial commit") -> Repo:
        """A repository whose default branch holds `files` in one commit (blobs, trees, ref)."""
        with self.lock:
            owner_login, name = full_name.split("/")
            owner = self.world.user(owner_login)
            parent = self._repo(fork_of) if fork_of else None
            repo = Repo(self.world.next_id("repo"), owner, name,
                        parent.default_branch if parent else default_branch, private,
                        description, parent)
            if parent is not None:
                repo.git = parent.git  # a fork network shares one object store, as on GitHub
                repo.refs = dict(parent.refs)
            self.world.repos[full_name.lower()] = repo
            if files is not None:
                self.commit_files(full_name, repo.default_branch, files, message=message,
                                  author=author or owner_login)
            return repo

    def commit_files(self, full_name: str, branch: str, files: dict[str, str | bytes | None], *,
                     message: str = "Update files", author: str | None = None,
                     base: str | None = None) -> str:
        """Commit onto `branch` (created from `base`, default the default branch, if missing);
        a None value deletes the file. Returns the new commit id."""
        with self.lock:
            repo = self._repo(full_name)
            parent = repo.branch(branch)
            if parent is None:
                start = base or repo.default_branch
                parent = repo.resolve(start) if repo.refs else None
            user = self.world.user(author or repo.owner.login)
            seq = sum(1 for k, _ in repo.git.objects.values() if k == "commit")
            sig = actions.signature(user, SEED_EPOCH + timedelta(minutes=seq))
            changes = {p: None if d is None else as_bytes(d) for p, d in files.items()}
            sha = actions.commit_changes(repo, parent, changes, message, sig)
            repo.refs[f"refs/heads/{branch}"] = sha
            return sha

    def add_collaborator(self, full_name: str, login: str, permission: str = "write") -> None:
        """permission: admin | maintain | write | triage | read."""
        with self.lock:
            self.world.user(login)
            self._repo(full_name).collaborators[login.lower()] = permission

    def add_label(self, full_name: str, name: str, color: str = "ededed",
                  description: str | None = None) -> None:
        with self.lock:
            self._repo(full_name).labels[name] = (self.world.next_id("label"), color, description)

    def add_code_scanning_alert(self, full_name: str, *, rule_id: str, path: str,
                                start_line: int, end_line: int | None = None,
                                ref: str | None = None, tool: str = "CodeQL",
                                description: str = "", message: str = "",
                                severity: str | None = "warning",
                                security_severity: str | None = None) -> CodeScanningAlert:
        """An open alert on `ref` (default: the default branch) at its current commit."""
        with self.lock:
            repo = self._repo(full_name)
            ref = ref or f"refs/heads/{repo.default_branch}"
            sha = repo.resolve(ref) or ""
            number = max(repo.code_scanning_alerts, default=0) + 1
            alert = CodeScanningAlert(number, rule_id, description or rule_id, tool, path,
                                      start_line, end_line or start_line, ref, sha, message,
                                      severity, security_severity)
            repo.code_scanning_alerts[number] = alert
            return alert

    def open_issue(self, full_name: str, title: str, body: str | None = "", *,
                   user: str = "octocat", labels: Iterable[str] = ()) -> Issue:
        with self.lock:
            return actions.new_issue(self.world, self._repo(full_name), title, body,
                                     self.world.user(user), list(labels))

    def add_issue_comment(self, full_name: str, number: int, body: str, *,
                          user: str = "octocat", via_app: App | None = None) -> Comment:
        """`via_app`: written by that App (as GitHub does it: by its bot, `performed_via_github_app`
        set); `user` is then ignored."""
        with self.lock:
            repo = self._repo(full_name)
            author = via_app.bot if via_app is not None else self.world.user(user)
            return actions.new_comment(self.world, repo, repo.issues[number], body, author,
                                       via_app)

    def open_pull(self, full_name: str, *, head: str, base: str | None = None,
                  title: str = "A change", body: str | None = "", user: str = "octocat",
                  draft: bool = False, files: dict[str, str | bytes | None] | None = None,
                  head_repo: str | None = None) -> Pull:
        """Open a PR from `head` (a branch; with `files`, committed there first). `head_repo`
        names a fork for cross-repository PRs."""
        with self.lock:
            repo = self._repo(full_name)
            source = self._repo(head_repo) if head_repo else repo
            base = base or repo.default_branch
            if files:
                self.commit_files(source.full_name, head, files, message=title, author=user,
                                  base=base)
            return actions.new_pull(self.world, repo, source, head, base, title, body,
                                    self.world.user(user), draft)

    def add_review(self, full_name: str, number: int, *, user: str = "reviewer",
                   body: str = "", event: str = "COMMENT",
                   comments: Iterable[dict[str, Any]] = ()) -> Review:
        """A submitted review; `comments` as in the REST body (path, line, side, start_line…)."""
        with self.lock:
            repo = self._repo(full_name)
            return actions.new_review(self.world, repo, repo.pulls[number], self.world.user(user),
                                      body, event, list(comments))

    def reply_to_review_comment(self, full_name: str, number: int, comment_id: int, body: str,
                                *, user: str = "reviewer") -> ReviewComment:
        with self.lock:
            repo = self._repo(full_name)
            return actions.reply_to(self.world, repo, repo.pulls[number], comment_id, body,
                                    self.world.user(user))

    def add_app(self, app_id: int, slug: str) -> App:
        """Another GitHub App (say GitHub Actions, or a welcome bot) that owns check runs or
        writes comments (`add_issue_comment(via_app=...)`)."""
        with self.lock:
            owner = self.world.user("github", "Organization")
            found = App(app_id, slug, slug, owner, {"checks": "write"}, ["check_run"],
                        self.world.user(f"{slug}[bot]", "Bot"))
            self.world.apps[app_id] = found
            return found

    def add_check_run(self, full_name: str, head_sha: str, name: str, *,
                      status: str = "completed", conclusion: str | None = "failure",
                      output: dict[str, Any] | None = None, app_id: int | None = None) -> CheckRun:
        with self.lock:
            repo = self._repo(full_name)
            app = self.world.apps.get(app_id) if app_id else None
            app = app or self.world.apps.get(15368) or self.add_app(15368, "github-actions")
            run = CheckRun(self.world.next_id("check_run"), name, head_sha, app, status,
                           conclusion if status == "completed" else None, output=output or {},
                           completed_at=now() if status == "completed" else None,
                           check_suite_id=self.world.next_id("check_suite"))
            repo.check_runs[run.id] = run
            return run

    def add_delivery(self, *, status_code: int, guid: str | None = None,
                     event: str = "issues", action: str | None = "labeled",
                     redelivery: bool = False, age: timedelta = timedelta(minutes=5),
                     installation_id: int | None = None,
                     repository_id: int | None = None) -> HookDelivery:
        """One attempt in the App webhook's delivery log, `age` ago (status 0: GitHub could
        not connect). The log lists attempts newest first, as GitHub does."""
        with self.lock:
            delivery = HookDelivery(self.world.next_id("delivery"), guid or str(uuid.uuid4()),
                                    event, action, status_code, now() - age, redelivery,
                                    installation_id, repository_id)
            self.world.deliveries.append(delivery)
            return delivery

    def deliveries(self) -> list[HookDelivery]:
        with self.lock:
            return list(self.world.deliveries)

    def user_token(self, login: str, permissions: dict[str, str] | None = None) -> str:
        """A personal access token of `login`: classic when `permissions` is None, else
        fine-grained with exactly those (e.g. {"contents": "read"})."""
        with self.lock:
            return auth.mint_user_token(self.world, self.world.user(login), permissions).value

    def revoke_tokens(self, installation_id: int) -> int:
        """Revoke every token of the installation (as GitHub does when its permissions change)."""
        with self.lock:
            gone = [v for v, t in self.world.tokens.items()
                    if t.installation is not None and t.installation.id == installation_id]
            for value in gone:
                del self.world.tokens[value]
            return len(gone)

    def remove_installation(self, installation_id: int) -> None:
        """Uninstall the app: the installation and its tokens are gone."""
        self.revoke_tokens(installation_id)
        with self.lock:
            del self.world.installations[installation_id]

    def installation_token(self, installation_id: int, **body: Any) -> str:
        """Mint a token directly (for raw HTTP requests in tests); body as in the REST call."""
        with self.lock:
            inst = self.world.installations[installation_id]
            return auth.mint_token(self.world, inst, body).value

    def _repo(self, full_name: str) -> Repo:
        found = self.world.repo(full_name)
        if found is None:
            raise KeyError(f"no repository {full_name}; create_repo() it first")
        return found
