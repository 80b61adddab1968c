"""The App webhook's delivery log (JWT): list newest first with cursor pages, redeliver one."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from ..routing import ApiError, Ctx, Reply, route
from ..state import HookDelivery, iso, now

# GitHub's cursors are opaque strings such as "v1_12077215967"; the fake's name the id of the
# first delivery of the page (so a client that builds cursors itself gets a failure).
CURSOR_PREFIX = "v1_"


def delivery_item(d: HookDelivery) -> dict[str, Any]:
    return {
        "id": d.id, "guid": d.guid, "delivered_at": iso(d.delivered_at),
        "redelivery": d.redelivery, "duration": 0.03, "status": d.status,
        "status_code": d.status_code, "event": d.event, "action": d.action,
        "installation_id": d.installation_id, "repository_id": d.repository_id,
        "throttled_at": None,
    }


def _matches(d: HookDelivery, status: str | None) -> bool:
    # The documented classification: success is 200-399, failure is 400-599.
    if status == "success":
        return 200 <= d.status_code < 400
    if status == "failure":
        return 400 <= d.status_code < 600
    return True


@route("get", "/app/hook/deliveries", auth="app")
def list_deliveries(ctx: Ctx) -> Reply:
    per_page = min(int(ctx.params.get("per_page") or 30), 100)
    newest_first = sorted((d for d in ctx.world.deliveries if _matches(d, ctx.params.get("status"))),
                          key=lambda d: (d.delivered_at, d.id), reverse=True)
    start = 0
    cursor = ctx.params.get("cursor")
    if cursor is not None:
        ids = [str(d.id) for d in newest_first]
        if not cursor.startswith(CURSOR_PREFIX) or cursor[len(CURSOR_PREFIX):] not in ids:
            raise ApiError(400, "Invalid cursor", failure=f"cursor {cursor!r} was never handed out")
        start = ids.index(cursor[len(CURSOR_PREFIX):])
    page = newest_first[start:start + per_page]
    headers = {}
    if start + per_page < len(newest_first):
        query = {**ctx.query, "per_page": str(per_page),
                 "cursor": f"{CURSOR_PREFIX}{newest_first[start + per_page].id}"}
        headers["Link"] = f'<{ctx.url.split("?", 1)[0]}?{urlencode(query)}>; rel="next"'
    return Reply(200, [delivery_item(d) for d in page], headers)


@route("post", "/app/hook/deliveries/{delivery_id}/attempts", auth="app")
def redeliver(ctx: Ctx) -> Reply:
    found = next((d for d in ctx.world.deliveries if d.id == ctx.params["delivery_id"]), None)
    if found is None:
        raise ApiError(404, "Not Found",
                       failure=f"no delivery {ctx.params['delivery_id']} of this app")
    # The new attempt reaches the webhook with whatever status the test scripted.
    ctx.world.deliveries.append(HookDelivery(
        ctx.world.next_id("delivery"), found.guid, found.event, found.action,
        ctx.fake.redelivery_status_code, now(), redelivery=True,
        installation_id=found.installation_id, repository_id=found.repository_id))
    return Reply(202, {})
