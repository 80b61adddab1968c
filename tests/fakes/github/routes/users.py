"""The authenticated user: who a personal access token acts as (installation tokens have none)."""

from __future__ import annotations

from ..routing import ApiError, Ctx, Reply, route


@route("get", "/user")
def get_authenticated(ctx: Ctx) -> Reply:
    user = ctx.token.user if ctx.token is not None else None
    if user is None:
        # What GitHub answers an installation token (an Actions GITHUB_TOKEN included).
        raise ApiError(403, "Resource not accessible by integration")
    public = {k: v for k, v in ctx.shapes.user(user).items() if k != "user_view_type"}
    return Reply(200, ctx.shapes.skel("public-user", **public, user_view_type="public"))
