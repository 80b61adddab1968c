"""Repository, contents, tarball (and its codeload download), branch, commit, permission routes."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from ..diffs import diff_trees
from ..routing import (
    CONTENTS_READ,
    METADATA_READ,
    ApiError,
    Ctx,
    Reply,
    not_found,
    route,
)

if TYPE_CHECKING:
    from ..dispatch import Call
    from ..fake import FakeGitHub

# GitHub's legacy `permission` field folds the newer roles into the three old ones.
LEGACY_PERMISSION = {"admin": "admin", "maintain": "write", "write": "write",
                     "triage": "read", "read": "read", "none": "none"}
ROLE_FLAGS = {"admin": 5, "maintain": 4, "write": 3, "triage": 2, "read": 1, "none": 0}


def role_flags(role: str) -> dict[str, bool]:
    level = ROLE_FLAGS[role]
    return {"pull": level >= 1, "triage": level >= 2, "push": level >= 3,
            "maintain": level >= 4, "admin": level >= 5}


@route("get", "/repos/{owner}/{repo}", perms=METADATA_READ)
def get_repo(ctx: Ctx) -> Reply:
    out = ctx.shapes.repo(ctx.the_repo, full=True)
    user = ctx.token.user if ctx.token is not None else None
    if user is not None:
        # GitHub tells a user's token its own role; installation tokens get no `permissions`.
        out["permissions"] = role_flags(ctx.the_repo.role_of(user))
    return Reply(200, out)


def resolve(ctx: Ctx, ref: str) -> str:
    sha = ctx.the_repo.resolve(ref)
    if sha is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    return sha


@route("get", "/repos/{owner}/{repo}/contents/{path}", perms=CONTENTS_READ)
def get_content(ctx: Ctx) -> Reply:
    repo = ctx.the_repo
    ref = ctx.params.get("ref") or repo.default_branch
    tree = repo.git.read_commit(resolve(ctx, ref)).tree
    path = ctx.params["path"].strip("/")
    entry = repo.git.lookup(tree, path)
    if entry is None:
        raise not_found()
    if entry.kind == "tree":
        return Reply(200, [ctx.shapes.content_item(repo, ref, f"{path}/{e.name}".lstrip("/"), e,
                                                   False) for e in repo.git.read_tree(entry.sha)])
    if "vnd.github.raw" in ctx.headers.get("accept", "") and entry.kind == "blob":
        return Reply(200, raw=repo.git.raw(entry.sha, "blob"),
                     headers={"Content-Type": "application/vnd.github.raw; charset=utf-8"})
    return Reply(200, ctx.shapes.content_item(repo, ref, path, entry, True))


@route("get", "/repos/{owner}/{repo}/tarball/{ref}", perms=CONTENTS_READ)
def get_tarball(ctx: Ctx) -> Reply:
    repo, ref = ctx.the_repo, ctx.params["ref"]
    sha = resolve(ctx, ref)
    # Like codeload.github.com: a short-lived URL whose token stands in for the credentials.
    token = secrets.token_urlsafe(16)
    ctx.fake.codeload[token] = (repo.full_name, sha)
    location = (f"{ctx.fake.url}/_codeload/{repo.full_name}/legacy.tar.gz/{quote(ref)}"
                f"?token={token}")
    return Reply(302, None, {"Location": location})


def serve_codeload(fake: FakeGitHub, call: Call, path: str, query: dict[str, str]) -> Reply:
    parts = unquote(path).split("/")
    found = fake.codeload.get(query.get("token", ""))
    if found is None or len(parts) < 6 or f"{parts[2]}/{parts[3]}".lower() != found[0].lower():
        fake.fail(call, "codeload download without a valid token from the tarball redirect")
        return Reply(404, {"message": "Not Found"}, validate=False)
    repo, sha = fake.repo(found[0]), found[1]
    prefix = f"{repo.owner.login}-{repo.name}-{sha[:7]}"
    return Reply(200, raw=repo.git.tarball(sha, prefix + "/"),
                 headers={"Content-Type": "application/x-gzip",
                          "Content-Disposition": f"attachment; filename={prefix}.tar.gz"})


@route("get", "/repos/{owner}/{repo}/branches/{branch}", perms=METADATA_READ)
def get_branch(ctx: Ctx) -> Reply:
    if ctx.the_repo.branch(ctx.params["branch"]) is None:
        raise ApiError(404, "Branch not found")
    return Reply(200, ctx.shapes.branch(ctx.the_repo, ctx.params["branch"]))


@route("get", "/repos/{owner}/{repo}/commits/{ref}", perms=CONTENTS_READ)
def get_commit(ctx: Ctx) -> Reply:
    repo, ref = ctx.the_repo, ctx.params["ref"]
    sha = repo.resolve(ref)
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {ref}", errors=[])
    c = repo.git.read_commit(sha)
    parent_tree = repo.git.read_commit(c.parents[0]).tree if c.parents else None
    return Reply(200, ctx.shapes.commit(repo, sha, diff_trees(repo.git, parent_tree, c.tree)))


@route("get", "/repos/{owner}/{repo}/collaborators/{username}/permission", perms=METADATA_READ)
def get_permission(ctx: Ctx) -> Reply:
    repo, login = ctx.the_repo, ctx.params["username"]
    user = ctx.world.users.get(login.lower())
    if user is None:
        raise ApiError(404, f"{login} is not a user")
    role = repo.role_of(user)
    collaborator = ctx.shapes.skel(
        "collaborator", **ctx.shapes.user(user), role_name=role, permissions=role_flags(role),
    )
    return Reply(200, {"permission": LEGACY_PERMISSION[role], "role_name": role,
                       "user": collaborator})
