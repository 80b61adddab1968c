"""Who a plain token acts as, and what it may do on the repository (for `iquest fix` with a token).

A personal access token is a user: `GET /user` names them and `GET /repos/{o}/{r}` carries
their role as `permissions`. An installation token (an Actions `GITHUB_TOKEN` included) has
no user (`GET /user` answers 403) and GitHub does not tell it its permissions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workers.github.port import GitHubError, Permission

# Highest first: the first flag that is set is the role.
_ROLE_FLAGS = (
    ("admin", Permission.ADMIN),
    ("maintain", Permission.MAINTAIN),
    ("push", Permission.WRITE),
    ("triage", Permission.TRIAGE),
    ("pull", Permission.READ),
)


@dataclass(frozen=True)
class TokenIdentity:
    login: str | None  # None: an installation token, no user behind it
    # The token's own role on the repository; None when GitHub does not say (installation tokens).
    permission: Permission | None


class IdentityMixin:
    """Needs the host class's `owner`, `repo`, `_rest` and its `_call` error mapping."""

    owner: str
    repo: str
    _rest: Any
    _call: Callable[..., Any]

    def token_identity(self) -> TokenIdentity:
        try:
            login: str | None = self._call(self._rest.users.get_authenticated).login
        except GitHubError as error:
            if error.status != 403:
                raise
            login = None
        flags = getattr(self._call(self._rest.repos.get, self.owner, self.repo), "permissions", None)
        permission = None
        if flags:
            permission = next(
                (level for name, level in _ROLE_FLAGS if getattr(flags, name, False) is True),
                Permission.NONE,
            )
        return TokenIdentity(login, permission)
