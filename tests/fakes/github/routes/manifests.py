"""POST /app-manifests/{code}/conversions: the API half of the manifest flow (no auth; the code
is the credential, and it works once)."""

from __future__ import annotations

import secrets

from ..routing import ApiError, Ctx, Reply, route


@route("post", "/app-manifests/{code}/conversions", auth="none")
def create_from_manifest(ctx: Ctx) -> Reply:
    pending = ctx.fake.manifest_codes.pop(ctx.params["code"], None)
    if pending is None:
        raise ApiError(404, "Not Found")
    fake = ctx.fake
    if fake.private_key is None:
        raise ApiError(500, "fake has no App key", failure="the fake needs private_key= "
                       "to hand out in a manifest conversion")
    manifest = pending.manifest
    # The registered App becomes the fake's own: later JWTs must verify against its key.
    app = fake.app
    app.name = manifest["name"]
    app.permissions = dict(manifest["default_permissions"])
    app.events = list(manifest["default_events"])
    if pending.org:
        app.owner = ctx.world.user(pending.org, "Organization")
    fake.webhook_secret = secrets.token_hex(20)
    fake.registered_manifests.append(manifest)
    body = ctx.shapes.app(app)
    body.update(client_id=f"Iv1.{app.id:016x}", client_secret=secrets.token_hex(20),
                webhook_secret=fake.webhook_secret, pem=fake.private_key)
    return Reply(201, body)
