"""The GitHub App as GitHub sees it: the JWT accepted by GET /app, installations, the webhook
URL, and the permissions and events compared with app.yml. Token mode otherwise."""

from __future__ import annotations

from pathlib import Path

import yaml
from githubkit import AppAuthStrategy, GitHub, TokenAuthStrategy
from githubkit.exception import GitHubException, RequestFailed

from workers.config import Settings, SettingsError
from workers.doctor.report import Check
from workers.github.tokens import REST_VERSION

MANIFEST = Path(__file__).resolve().parents[2] / "service" / "app.yml"
_LEVEL = {"read": 1, "write": 2, "admin": 3}


def check_github(settings: Settings, manifest: Path = MANIFEST) -> Check:
    if settings.app_credentials_given():
        return _check_app(settings, manifest)
    if settings.github_token is not None:
        return _check_token(settings)
    return Check("github app", False, False, "no App credentials and no token",
                 "register the App at /setup (`make run`), or set IQUEST_APP_ID and "
                 "IQUEST_PRIVATE_KEY_FILE; IQUEST_GITHUB_TOKEN is enough for `iquest fix`")


def _check_app(settings: Settings, manifest: Path) -> Check:
    try:
        app_id, key = settings.require_app_credentials()
    except SettingsError as error:
        return Check("github app", False, True, str(error), "set the App's private key")
    github = GitHub(AppAuthStrategy(str(app_id), key), base_url=settings.github_api_url,
                    timeout=15)
    try:
        rest = github.rest(REST_VERSION)
        app = rest.apps.get_authenticated().json()
        installations = rest.apps.list_installations(per_page=100).json()
        hook = rest.apps.get_webhook_config_for_app().json()
    except RequestFailed as error:
        status = error.response.status_code
        fix = ("check IQUEST_APP_ID and that the private key is the App's current one"
               if status == 401 else "check IQUEST_GITHUB_API_URL and the App on GitHub")
        return Check("github app", False, True,
                     f"GitHub refused the App's JWT: HTTP {status} on {error.response.url.path}", fix)
    except (GitHubException, OSError) as error:
        return Check("github app", False, True, f"cannot reach {settings.github_api_url}: {error}",
                     "check the network and IQUEST_GITHUB_API_URL")
    missing = _missing(app, manifest)
    detail = (f"app {app.get('slug')} (id {app_id}), JWT accepted, "
              f"{len(installations)} installation(s), webhook {hook.get('url') or 'unset'}")
    if not hook.get("url"):
        return Check("github app", False, True, detail,
                     "set the App's webhook URL to https://<your host>/api/github/webhooks")
    if missing:
        return Check("github app", False, True, f"{detail}; lacks {', '.join(missing)}",
                     "grant these in the App's settings (Permissions & events) as app.yml asks, "
                     "then accept them on each installation")
    if not installations:
        return Check("github app", False, False, detail,
                     "install the App on a repository (its page on GitHub, Install App)")
    return Check("github app", True, True, detail + "; permissions and events as app.yml")


def _missing(app: dict, manifest: Path) -> list[str]:
    try:
        wanted = yaml.safe_load(manifest.read_text()) or {}
    except (OSError, yaml.YAMLError):
        return []
    granted = app.get("permissions") or {}
    missing = [
        f"{name}:{level}" for name, level in (wanted.get("default_permissions") or {}).items()
        if _LEVEL.get(str(granted.get(name)), 0) < _LEVEL.get(str(level), 0)
    ]
    events = set(app.get("events") or [])
    missing += [f"event {e}" for e in wanted.get("default_events") or [] if e not in events]
    return missing


def _check_token(settings: Settings) -> Check:
    token = settings.github_token.get_secret_value() if settings.github_token else ""
    github = GitHub(TokenAuthStrategy(token), base_url=settings.github_api_url, timeout=15)
    try:
        user = github.rest(REST_VERSION).users.get_authenticated().json()
    except RequestFailed as error:
        return Check("github token", False, True,
                     f"GitHub refused IQUEST_GITHUB_TOKEN: HTTP {error.response.status_code}",
                     "create a new token with contents, issues and pull requests write access")
    except (GitHubException, OSError) as error:
        return Check("github token", False, True, f"cannot reach {settings.github_api_url}: {error}",
                     "check the network and IQUEST_GITHUB_API_URL")
    return Check("github token", True, True,
                 f"token mode as {user.get('login')} (`iquest fix` only; webhooks need the App)")
