"""The git database and pull request half of GitHubRepoClient: commit, branch and PR without a clone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workers.github.port import GitCommit, GitHubError, PullRequest
from workers.github.pulls import pull_from

_FILE_MODE = "100644"
_EXECUTABLE_MODE = "100755"


class GitDataMixin:
    """Needs the host class's `owner`, `repo`, `_rest`, and its `_call`/`_raw` error mapping."""

    owner: str
    repo: str
    _rest: Any
    _call: Callable[..., Any]
    _create: Callable[..., Any]
    _raw: Callable[..., Any]

    def get_branch_sha(self, branch: str) -> str | None:
        try:
            data = self._call(self._rest.git.get_ref, self.owner, self.repo, f"heads/{branch}")
        except GitHubError as error:
            if error.status == 404:
                return None
            raise
        return data.object_.sha

    def get_branch(self, branch: str) -> GitCommit | None:
        # One call gives what get_ref + get_commit give: the head, its tree and its message.
        try:
            data = self._call(self._rest.repos.get_branch, self.owner, self.repo, branch)
        except GitHubError as error:
            if error.status == 404:
                return None
            raise
        head = data.commit
        return GitCommit(
            sha=head.sha,
            tree_sha=head.commit.tree.sha,
            message=head.commit.message,
            parents=[parent.sha for parent in head.parents],
        )

    def get_commit(self, sha: str) -> GitCommit:
        data = self._call(self._rest.git.get_commit, self.owner, self.repo, sha)
        return GitCommit(
            sha=data.sha,
            tree_sha=data.tree.sha,
            message=data.message,
            parents=[parent.sha for parent in data.parents],
        )

    def create_tree(
        self, base_tree: str, files: dict[str, str | None], executable: frozenset[str] = frozenset()
    ) -> str:
        entries: list[dict[str, Any]] = []
        for path in sorted(files):
            content = files[path]
            mode = _EXECUTABLE_MODE if path in executable else _FILE_MODE
            if content is None:
                # GitHub deletes a path from the base tree when its sha is null.
                entries.append({"path": path, "mode": mode, "type": "blob", "sha": None})
            else:
                entries.append({"path": path, "mode": mode, "type": "blob", "content": content})
        data = self._call(
            self._rest.git.create_tree,
            self.owner,
            self.repo,
            data={"base_tree": base_tree, "tree": entries},
        )
        return data.sha

    def create_commit(self, message: str, tree: str, parents: list[str]) -> str:
        data = self._call(
            self._rest.git.create_commit,
            self.owner,
            self.repo,
            data={"message": message, "tree": tree, "parents": parents},
        )
        return data.sha

    def create_branch(self, branch: str, sha: str) -> None:
        self._call(
            self._rest.git.create_ref,
            self.owner,
            self.repo,
            data={"ref": f"refs/heads/{branch}", "sha": sha},
        )

    def move_branch(self, branch: str, sha: str, force: bool) -> None:
        self._call(
            self._rest.git.update_ref,
            self.owner,
            self.repo,
            f"heads/{branch}",
            data={"sha": sha, "force": force},
        )

    def download_tarball(self, ref: str) -> bytes:
        # GitHub answers 302 to codeload; the client follows it with the same token.
        response = self._raw(self._rest.repos.download_tarball_archive, self.owner, self.repo, ref)
        return response.content

    def find_open_pull(self, head_branch: str) -> PullRequest | None:
        pulls = self._call(
            self._rest.pulls.list,
            self.owner,
            self.repo,
            state="open",
            head=f"{self.owner}:{head_branch}",
        )
        return pull_from(pulls[0]) if pulls else None

    def create_pull(self, title: str, body: str, head: str, base: str, draft: bool) -> PullRequest:
        data = self._create(
            self._rest.pulls.create,
            self.owner,
            self.repo,
            data={"title": title, "body": body, "head": head, "base": base, "draft": draft},
        )
        return pull_from(data)

    def update_pull(self, number: int, title: str, body: str) -> PullRequest:
        data = self._call(
            self._rest.pulls.update,
            self.owner,
            self.repo,
            number,
            data={"title": title, "body": body},
        )
        return pull_from(data)
