"""Git database routes: blobs, trees, commits and refs, over real git objects."""

from __future__ import annotations

import base64
import binascii

from ..actions import parse_signature, signature
from ..gitobjects import Entry, kind_of_mode
from ..routing import CONTENTS_READ, CONTENTS_WRITE, ApiError, Ctx, Reply, invalid, route


def created(ctx: Ctx, body: dict) -> Reply:
    return Reply(201, body, {"Location": body["url"]})


@route("post", "/repos/{owner}/{repo}/git/blobs", perms=CONTENTS_WRITE)
def create_blob(ctx: Ctx) -> Reply:
    content, encoding = ctx.body["content"], ctx.body.get("encoding", "utf-8")
    if encoding == "base64":
        try:
            data = base64.b64decode(content, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise invalid("Validation Failed", "content is not valid Base64") from exc
    elif encoding in ("utf-8", "utf8"):
        data = content.encode()
    else:
        raise invalid("Validation Failed",
                      {"resource": "Blob", "field": "encoding", "code": "invalid"})
    sha = ctx.the_repo.git.put_blob(data)
    return created(ctx, {"sha": sha, "url": f"{ctx.shapes.repo_api(ctx.the_repo)}/git/blobs/{sha}"})


@route("get", "/repos/{owner}/{repo}/git/blobs/{file_sha}", perms=CONTENTS_READ)
def get_blob(ctx: Ctx) -> Reply:
    sha = ctx.params["file_sha"]
    if ctx.the_repo.git.kind(sha) != "blob":
        raise ApiError(404, "Not Found")
    return Reply(200, ctx.shapes.blob(ctx.the_repo, sha))


@route("post", "/repos/{owner}/{repo}/git/trees", perms=CONTENTS_WRITE)
def create_tree(ctx: Ctx) -> Reply:
    git = ctx.the_repo.git
    files: dict[str, Entry] = {}
    if ctx.body.get("base_tree"):
        if git.kind(ctx.body["base_tree"]) != "tree":
            raise invalid("Invalid tree info", "base_tree is not a valid tree")
        files = git.files(ctx.body["base_tree"])
    for item in ctx.body["tree"]:
        path, mode = item.get("path", ""), item.get("mode", "100644")
        kind = item.get("type", kind_of_mode(mode))
        if not path or path.startswith("/") or "" in path.split("/") or kind_of_mode(mode) != kind:
            raise invalid("Invalid tree info", f"tree.path {path!r} / mode {mode} / type {kind}")
        drop(files, path)
        if "content" in item and item.get("sha") is not None:
            raise invalid("Invalid tree info", "Must supply either tree.sha or tree.content")
        if "content" in item:
            files[path] = Entry(mode, path, git.put_blob(item["content"].encode()))
        elif item.get("sha") is not None:
            sha = item["sha"]
            if kind != "commit" and git.kind(sha) != kind:
                raise invalid("GitRPC::BadObjectState", f"tree.sha {sha} is not a valid {kind}")
            if kind == "tree":
                files.update({f"{path}/{p}": Entry(e.mode, f"{path}/{p}", e.sha)
                              for p, e in git.files(sha).items()})
            else:
                files[path] = Entry(mode, path, sha)
        elif "sha" not in item:
            raise invalid("Invalid tree info", "Must supply tree.sha or tree.content")
        # "sha": null deletes the path, which drop() already did.
    sha = git.build_tree(files)
    return created(ctx, ctx.shapes.git_tree(ctx.the_repo, sha, recursive=False))


def drop(files: dict[str, Entry], path: str) -> None:
    for p in [p for p in files if p == path or p.startswith(path + "/")]:
        del files[p]


@route("get", "/repos/{owner}/{repo}/git/trees/{tree_sha}", perms=CONTENTS_READ)
def get_tree(ctx: Ctx) -> Reply:
    repo, ident = ctx.the_repo, ctx.params["tree_sha"]
    sha = ident if repo.git.kind(ident) == "tree" else None
    if sha is None and (commit := repo.resolve(ident)):  # a ref or commit names its tree too
        sha = repo.git.read_commit(commit).tree
    if sha is None:
        raise ApiError(404, "Not Found")
    # GitHub recurses for *any* value of `recursive`, even "0" or "false".
    return Reply(200, ctx.shapes.git_tree(repo, sha, recursive="recursive" in ctx.query))


@route("post", "/repos/{owner}/{repo}/git/commits", perms=CONTENTS_WRITE)
def create_commit(ctx: Ctx) -> Reply:
    repo, body = ctx.the_repo, ctx.body
    if repo.git.kind(body["tree"]) != "tree":
        raise invalid("Tree SHA does not exist")
    parents = body.get("parents", [])
    if any(not repo.git.is_commit(p) for p in parents):
        raise invalid("Parent SHA does not exist or is not a commit object")
    try:
        # Without an author GitHub uses the authenticated identity (the app's bot) and now.
        author = parse_signature(body.get("author"), signature(ctx.actor))
        committer = parse_signature(body.get("committer"), author)
    except (KeyError, ValueError) as exc:
        raise invalid("Invalid request.", f"author/committer: {exc}") from exc
    sha = repo.git.put_commit(body["tree"], parents, author, committer, body["message"])
    return created(ctx, ctx.shapes.git_commit(repo, sha))


@route("get", "/repos/{owner}/{repo}/git/commits/{commit_sha}", perms=CONTENTS_READ)
def get_git_commit(ctx: Ctx) -> Reply:
    if not ctx.the_repo.git.is_commit(ctx.params["commit_sha"]):
        raise ApiError(404, "Not Found")
    return Reply(200, ctx.shapes.git_commit(ctx.the_repo, ctx.params["commit_sha"]))


@route("get", "/repos/{owner}/{repo}/git/ref/{ref}", perms=CONTENTS_READ)
def get_ref(ctx: Ctx) -> Reply:
    # Exact match on "heads/x" / "tags/x"; "refs/heads/x" here is a 404 on GitHub too.
    name = "refs/" + ctx.params["ref"]
    if name not in ctx.the_repo.refs:
        raise ApiError(404, "Not Found")
    return Reply(200, ctx.shapes.git_ref(ctx.the_repo, name))


@route("get", "/repos/{owner}/{repo}/git/matching-refs/{ref}", perms=CONTENTS_READ)
def matching_refs(ctx: Ctx) -> Reply:
    prefix = "refs/" + ctx.params["ref"]
    names = sorted(n for n in ctx.the_repo.refs if n.startswith(prefix))
    return Reply(200, [ctx.shapes.git_ref(ctx.the_repo, n) for n in names])


@route("post", "/repos/{owner}/{repo}/git/refs", perms=CONTENTS_WRITE)
def create_ref(ctx: Ctx) -> Reply:
    repo, name, sha = ctx.the_repo, ctx.body["ref"], ctx.body["sha"]
    # GitHub wants a fully qualified name with at least two slashes ("refs/heads/x").
    if not name.startswith("refs/") or name.count("/") < 2:
        raise invalid("Reference name is invalid")
    if name in repo.refs:
        raise invalid("Reference already exists")
    if repo.git.kind(sha) is None:
        raise invalid("Object does not exist")
    repo.refs[name] = sha
    return created(ctx, ctx.shapes.git_ref(repo, name))


@route("patch", "/repos/{owner}/{repo}/git/refs/{ref}", perms=CONTENTS_WRITE)
def update_ref(ctx: Ctx) -> Reply:
    repo, name, sha = ctx.the_repo, "refs/" + ctx.params["ref"], ctx.body["sha"]
    if name not in repo.refs:
        raise invalid("Reference does not exist")
    if repo.git.kind(sha) is None:
        raise invalid("Object does not exist")
    old = repo.refs[name]
    if not ctx.body.get("force") and old not in repo.git.ancestors(sha):
        raise invalid("Update is not a fast forward")
    repo.refs[name] = sha
    return Reply(200, ctx.shapes.git_ref(repo, name))
