"""Authentication as GitHub does it: App JWTs (RS256), installation tokens, personal access
tokens (classic and fine-grained), scopes, permissions."""

from __future__ import annotations

import secrets
import string
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import jwt

from .routing import ApiError, Route
from .state import LEVELS, Installation, Repo, Token, now

if TYPE_CHECKING:
    from .state import App, User, World

TOKEN_LIFETIME = timedelta(hours=1)
PAT_LIFETIME = timedelta(days=30)
# What a user's role on a repository lets their token do (GitHub's role table, in short:
# triage manages issues and pull requests without pushing; check runs are Apps' only).
_READ = {"metadata": "read", "contents": "read", "issues": "read", "pull_requests": "read",
         "checks": "read"}
ROLE_GRANTS = {
    "none": {},
    "read": _READ,
    "triage": {**_READ, "issues": "write", "pull_requests": "write"},
    "write": {**_READ, "contents": "write", "issues": "write", "pull_requests": "write"},
}
ROLE_GRANTS["maintain"] = ROLE_GRANTS["admin"] = ROLE_GRANTS["write"]
JWT_MAX_LIFETIME = 600  # GitHub: `exp` no more than 10 minutes ahead
CLOCK_DRIFT = 60


def credentials(header: str | None) -> str | None:
    """The credential of an `Authorization: token X` / `Bearer X` header."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() in ("token", "bearer") and value.strip() else None


def verify_jwt(app: App, public_key: str, header: str | None) -> App:
    value = credentials(header)
    if value is None:
        raise ApiError(401, "A JSON web token could not be decoded",
                       failure="an /app route needs `Authorization: Bearer <app JWT>`")
    try:
        claims = jwt.decode(value, public_key, algorithms=["RS256"], leeway=CLOCK_DRIFT,
                            options={"require": ["exp", "iat", "iss"], "verify_iss": False})
    except jwt.PyJWTError as exc:
        raise ApiError(401, "A JSON web token could not be decoded",
                       failure=f"App JWT rejected: {exc}") from exc
    if str(claims["iss"]) != str(app.id):
        raise ApiError(401, "Integration not found",
                       failure=f"JWT `iss` is {claims['iss']!r}, the app id is {app.id}")
    if claims["exp"] - time.time() > JWT_MAX_LIFETIME + CLOCK_DRIFT:
        raise ApiError(401, "'Expiration time' claim ('exp') is too far in the future",
                       failure="JWT `exp` is more than 10 minutes ahead")
    return app


def installation_token(world: World, header: str | None) -> Token:
    """The token of a non-App route: an installation token or a personal access token."""
    value = credentials(header)
    if value is None:
        raise ApiError(401, "Requires authentication",
                       failure="no installation token on a repository route")
    token = world.tokens.get(value)
    if token is None:
        kind = "an App JWT" if value.count(".") == 2 else "an unknown token"
        raise ApiError(401, "Bad credentials", failure=f"{kind} on a repository route")
    if token.expires_at <= now():
        raise ApiError(401, "Bad credentials", failure="expired installation token")
    return token


def _user_level(token: Token, repo: Repo, perm: str) -> int:
    """A personal access token can do what both its user's role and its own grant allow."""
    assert token.user is not None
    granted = LEVELS.get(ROLE_GRANTS[repo.role_of(token.user)].get(perm, ""), 0)
    return min(granted, LEVELS.get(token.permissions.get(perm, ""), 0))


def check_user_repo_access(token: Token, repo: Repo | None, route: Route) -> Repo:
    if repo is None or _user_level(token, repo, "metadata") == 0:
        raise ApiError(404, "Not Found", failure=None if repo is None else
                       f"{token.user.login} cannot see {repo.full_name}")
    if route.perms and not any(_user_level(token, repo, p) >= LEVELS[lvl]
                               for p, lvl in route.perms):
        need = " or ".join(f"{p}:{lvl}" for p, lvl in route.perms)
        raise ApiError(403, "Resource not accessible by personal access token",
                       failure=f"{token.user.login}'s token lacks {need}")
    return repo


def check_repo_access(token: Token, repo: Repo | None, route: Route) -> Repo:
    """404 for repositories the token cannot see, 403 for permissions it lacks."""
    if token.user is not None:
        return check_user_repo_access(token, repo, route)
    assert token.installation is not None
    reads_only = all(level == "read" for _, level in route.perms)
    visible = repo is not None and (
        (token.installation.covers(repo)
         and (token.repo_ids is None or repo.id in token.repo_ids))
        or (not repo.private and reads_only)
    )
    if repo is None:
        raise ApiError(404, "Not Found")
    if not visible:
        raise ApiError(404, "Not Found",
                       failure=f"token cannot see {repo.full_name} (outside its scope)")
    if route.perms and not any(token.allows(p, lvl) for p, lvl in route.perms):
        need = " or ".join(f"{p}:{lvl}" for p, lvl in route.perms)
        raise ApiError(403, "Resource not accessible by integration",
                       failure=f"token lacks {need}")
    return repo


def mint_user_token(world: World, user: User, permissions: dict[str, str] | None) -> Token:
    """A personal access token: classic (`permissions` None: all its user can do) or
    fine-grained (only `permissions`, and never more than the user's role)."""
    alphabet = string.ascii_letters + string.digits
    prefix = "ghp_" if permissions is None else "github_pat_"
    value = prefix + "".join(secrets.choice(alphabet) for _ in range(36))
    grant = dict(ROLE_GRANTS["write"]) if permissions is None else {
        "metadata": "read", **permissions}
    token = Token(value, None, None, grant, now() + PAT_LIFETIME, user=user)
    world.tokens[value] = token
    return token


def mint_token(world: World, inst: Installation, body: dict) -> Token:
    """Issue a token, narrowed to the repositories and permissions the body asks for."""
    repo_ids: set[int] | None = None
    names, ids = body.get("repositories"), body.get("repository_ids")
    if names is not None or ids is not None:
        repo_ids = set()
        for name in names or []:
            repo = world.repo(f"{inst.account.login}/{name}")
            if repo is None or not inst.covers(repo):
                raise _not_accessible()
            repo_ids.add(repo.id)
        for ident in ids or []:
            repo = next((r for r in world.repos.values() if r.id == ident), None)
            if repo is None or not inst.covers(repo):
                raise _not_accessible()
            repo_ids.add(ident)
    permissions = dict(inst.permissions)
    if body.get("permissions"):
        permissions = {}
        for perm, level in body["permissions"].items():
            if LEVELS.get(inst.permissions.get(perm, ""), 0) < LEVELS.get(level, 9):
                raise ApiError(
                    422, "The permissions requested are not granted to this installation.",
                    failure=f"token asked for {perm}:{level}, not granted")
            permissions[perm] = level
        # GitHub adds metadata:read to every installation token.
        permissions.setdefault("metadata", "read")
    alphabet = string.ascii_letters + string.digits
    value = "ghs_" + "".join(secrets.choice(alphabet) for _ in range(36))
    token = Token(value, inst, frozenset(repo_ids) if repo_ids is not None else None,
                  permissions, now() + TOKEN_LIFETIME)
    world.tokens[value] = token
    return token


def _not_accessible() -> ApiError:
    return ApiError(
        422,
        "There is at least one repository that does not exist or is not accessible to the "
        "parent installation.",
        failure="token requested for a repository outside the installation",
    )
