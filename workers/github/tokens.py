"""Installation tokens: minted with the App's JWT, scoped to one repository, cached in Redis."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Protocol

import httpx
from githubkit import AppAuthStrategy, GitHub
from githubkit.exception import RateLimitExceeded, RequestFailed

from workers.github.observed import github_route
from workers.github.port import GitHubError
from workers.github.retry import CappedRetry

log = logging.getLogger("iquest.github")

REST_VERSION = "2022-11-28"
# Refresh this long before GitHub's expiry so a token never dies in the middle of a job.
_EXPIRY_MARGIN_SECONDS = 600


class KeyValueStore(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: str, ex: int | None = None) -> object: ...

    def delete(self, *keys: str) -> object: ...


class InstallationTokens:
    def __init__(
        self,
        app_id: int,
        private_key: str,
        api_url: str,
        store: KeyValueStore,
        retry: CappedRetry,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._app = GitHub(
            AppAuthStrategy(app_id, private_key),
            base_url=api_url,
            auto_retry=retry,
            transport=transport,
        )
        self._store = store
        self._login: str | None = None

    def app_login(self) -> str:
        """The login the App writes as, `<slug>[bot]`: GET /app once per process.

        Its comments, reviews and replies are recognised by this login alone, never by being
        some bot's: another bot quoting the app's markers must not pass for the app.
        """
        if self._login is None:
            operation = self._app.rest(REST_VERSION).apps.get_authenticated
            try:
                with github_route(operation):
                    slug = operation().parsed_data.slug
            except RequestFailed as error:
                status = error.response.status_code
                raise GitHubError(f"GitHub answered {status} to GET /app", status,
                                  transient=status >= 500 or isinstance(error, RateLimitExceeded)
                                  ) from error
            self._login = f"{slug}[bot]"
        return self._login

    def installation_for(self, owner: str, repo: str) -> int:
        """The id of the App's installation on owner/repo (for commands run outside a webhook)."""
        operation = self._app.rest(REST_VERSION).apps.get_repo_installation
        with github_route(operation):
            response = operation(owner, repo)
        return response.parsed_data.id

    @staticmethod
    def _key(installation_id: int, repo_name: str, permissions: dict[str, str]) -> str:
        scope = json.dumps(permissions, sort_keys=True)
        digest = hashlib.sha256(f"{repo_name}\n{scope}".encode()).hexdigest()[:16]
        return f"iquest:token:{installation_id}:{digest}"

    def forget(self, installation_id: int, repo_name: str, permissions: dict[str, str]) -> None:
        """Drop a cached token GitHub no longer accepts (revoked), so the next call mints anew."""
        self._store.delete(self._key(installation_id, repo_name, permissions))

    def token_for(self, installation_id: int, repo_name: str, permissions: dict[str, str]) -> str:
        """A token for `repo_name` (without owner) with exactly `permissions`.

        Raises GitHubError: transient for GitHub's 5xx and rate limits; permanent when the
        App is no longer installed there (404) or may not have these permissions (403, 422).
        """
        key = self._key(installation_id, repo_name, permissions)
        cached = self._store.get(key)
        if cached:
            return cached.decode()
        operation = self._app.rest(REST_VERSION).apps.create_installation_access_token
        try:
            with github_route(operation):
                response = operation(
                    installation_id, data={"repositories": [repo_name], "permissions": permissions}
                )
        except RequestFailed as error:
            status = error.response.status_code
            raise GitHubError(
                f"GitHub answered {status} when asked for an installation token for {repo_name}"
                + (" (the App is not installed there any more)" if status == 404 else ""),
                status,
                transient=status >= 500 or isinstance(error, RateLimitExceeded),
            ) from error
        token = response.parsed_data
        expires_at = token.expires_at
        if isinstance(expires_at, str):
            expires_at = datetime.fromisoformat(expires_at)
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        ttl = int((expires_at - datetime.now(UTC)).total_seconds()) - _EXPIRY_MARGIN_SECONDS
        if ttl > 0:
            self._store.set(key, token.token, ex=ttl)
        log.info("minted installation token installation=%s repo=%s", installation_id, repo_name)
        return token.token
