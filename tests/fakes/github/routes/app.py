"""App routes, authenticated with the App's JWT: the app, installation tokens, installations."""

from __future__ import annotations

from ..auth import mint_token
from ..routing import ApiError, Ctx, Reply, route
from ..state import iso


@route("get", "/app", auth="app")
def get_app(ctx: Ctx) -> Reply:
    return Reply(200, ctx.shapes.app(ctx.fake.app))


@route("get", "/app/installations", auth="app")
def list_installations(ctx: Ctx) -> Reply:
    mine = [i for i in ctx.world.installations.values() if i.app is ctx.app]
    return Reply(200, [ctx.shapes.installation(i) for i in mine])


@route("get", "/app/hook/config", auth="app")
def get_webhook_config(ctx: Ctx) -> Reply:
    config = {"url": ctx.fake.webhook_url, "content_type": "json", "insecure_ssl": "0"}
    if ctx.fake.webhook_secret:
        config["secret"] = "********"  # GitHub never shows the secret itself
    return Reply(200, config)


@route("post", "/app/installations/{installation_id}/access_tokens", auth="app")
def create_token(ctx: Ctx) -> Reply:
    inst = ctx.world.installations.get(ctx.params["installation_id"])
    if inst is None or inst.app is not ctx.app:
        raise ApiError(404, "Not Found",
                       failure=f"no installation {ctx.params['installation_id']} of this app")
    token = mint_token(ctx.world, inst, ctx.body or {})
    body = {"token": token.value, "expires_at": iso(token.expires_at),
            "permissions": token.permissions,
            "repository_selection": "selected" if token.repo_ids is not None
            else inst.repository_selection}
    if token.repo_ids is not None or inst.repository_selection == "selected":
        body["repositories"] = [ctx.shapes.repo(r) for r in ctx.world.repos.values()
                                if inst.covers(r)
                                and (token.repo_ids is None or r.id in token.repo_ids)]
    return Reply(201, body)


@route("get", "/repos/{owner}/{repo}/installation", auth="app")
def get_repo_installation(ctx: Ctx) -> Reply:
    repo = ctx.world.repo(f"{ctx.params['owner']}/{ctx.params['repo']}")
    inst = ctx.world.installation_for(repo) if repo else None
    if inst is None or inst.app is not ctx.app:
        raise ApiError(404, "Not Found")
    return Reply(200, ctx.shapes.installation(inst))
