"""The App webhook's delivery log over githubkit (App JWT): list it page by page, ask for redelivery."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from githubkit import AppAuthStrategy, GitHub
from githubkit.exception import RequestFailed

from workers.github.port import GitHubError
from workers.github.retry import CappedRetry
from workers.github.tokens import REST_VERSION
from workers.operations.redelivery import Delivery

_PER_PAGE = 100


def _as_datetime(value: object) -> datetime:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def next_cursor(link_header: str | None) -> str | None:
    """The `cursor` of the rel="next" page in a Link header, or None on the last page.

    This endpoint pages by cursor, not by page number, so githubkit's paginator (which
    counts pages) cannot follow it.
    """
    for part in (link_header or "").split(","):
        url, _, params = part.partition(";")
        if 'rel="next"' in params:
            values = parse_qs(urlsplit(url.strip().strip("<>")).query).get("cursor")
            return values[0] if values else None
    return None


class AppDeliveries:
    """Implements workers.operations.redelivery.DeliveryLog for the App identified by its id and key."""

    def __init__(self, app_id: int, private_key: str, api_url: str, retry: CappedRetry) -> None:
        self._github = GitHub(
            AppAuthStrategy(app_id, private_key), base_url=api_url, auto_retry=retry
        )
        self._rest = self._github.rest(REST_VERSION)

    def newest_first(self) -> Iterator[Delivery]:
        cursor: str | None = None
        while True:
            kwargs = {"cursor": cursor} if cursor else {}
            response = self._request(self._rest.apps.list_webhook_deliveries,
                                     per_page=_PER_PAGE, **kwargs)
            for item in response.parsed_data:
                yield Delivery(
                    id=item.id,
                    guid=item.guid,
                    delivered_at=_as_datetime(item.delivered_at),
                    redelivery=item.redelivery,
                    status_code=item.status_code,
                    event=item.event,
                    action=item.action,
                )
            cursor = next_cursor(response.headers.get("link"))
            if cursor is None:
                return

    def redeliver(self, delivery_id: int) -> None:
        self._request(self._rest.apps.redeliver_webhook_delivery, delivery_id)

    def _request(self, operation, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return operation(*args, **kwargs)
        except RequestFailed as error:
            status = error.response.status_code
            raise GitHubError(
                f"GitHub answered {status} to {error.request.method} {error.request.url.path}",
                status,
                transient=status >= 500,
            ) from error
