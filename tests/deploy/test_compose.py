"""deploy/compose.yml: valid for the Compose Specification's JSON schema, as written and with
every variable interpolated as compose would; wired the way one GPU box needs it."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from workers.config import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yml"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
SCHEMA = ROOT / "tests" / "data" / "deploy-schemas" / "compose-spec.json"
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}
VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(node: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation of the forms the file uses; an unset required one is an error."""
    if isinstance(node, dict):
        return {k: interpolate(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(v, env) for v in node]
    if not isinstance(node, str):
        return node

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        value = env.get(name)
        unset = value is None or (value == "" and op and op.startswith(":"))
        if op and op.endswith("-") and unset:
            return arg
        if op and op.endswith("?") and unset:
            raise ValueError(f"required variable {name}: {arg}")
        return value or ""

    return VARIABLE.sub(one, node)


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA.read_text())


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_file_is_valid_as_written(compose, schema) -> None:
    jsonschema.validate(compose, schema)


# The one variable compose requires (Redis's password); everything else has a default.
REQUIRED = {"REDIS_PASSWORD": "0123abcd"}


@pytest.mark.parametrize("env", [{}, "env.example"], ids=["defaults", "env.example"])
def test_compose_file_is_valid_interpolated(compose, schema, env) -> None:
    values = env_example() if env == "env.example" else {}
    jsonschema.validate(interpolate(compose, values | REQUIRED), schema)


def test_redis_requires_a_password_and_every_client_sends_it(compose) -> None:
    with pytest.raises(ValueError, match="REDIS_PASSWORD"):
        interpolate(compose, {})
    services = interpolate(compose, REQUIRED)["services"]
    redis = services["redis"]
    assert redis["command"][-2:] == ["--requirepass", "0123abcd"]
    assert redis["environment"]["REDISCLI_AUTH"] == "0123abcd"
    assert "redis-cli ping" in redis["healthcheck"]["test"][1]
    for name in ("receiver", "worker", "beat", "migrate"):
        assert services[name]["environment"]["IQUEST_REDIS_URL"] == "redis://:0123abcd@redis:6379/0"
    assert "--broker=redis://:0123abcd@redis:6379/0" in services["flower"]["command"]


def test_the_schema_catches_mistakes(compose, schema) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["worker"]["depends_on"]["redis"]["condition"] = "service_ready"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
    broken = copy.deepcopy(compose)
    broken["services"]["redis"]["restart_policy"] = "always"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_one_gpu_box_is_wired_together(compose) -> None:
    services = interpolate(compose, REQUIRED)["services"]
    assert set(services) >= {"redis", "receiver", "worker", "beat", "vllm", "flower"}
    redis = services["redis"]
    assert "--appendonly" in redis["command"] and redis["volumes"] == ["redis-data:/data"]
    for name in ("receiver", "worker", "beat"):
        service = services[name]
        assert service["command"][:2] == ["iquest", {"receiver": "serve"}.get(name, name)]
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["restart"] == "unless-stopped"
        assert service["healthcheck"]["test"]
        assert service["environment"]["IQUEST_REDIS_URL"] == "redis://:0123abcd@redis:6379/0"
    worker = services["worker"]
    grace = int(worker["stop_grace_period"].removesuffix("s"))
    assert grace >= Settings.model_fields["worker_shutdown_seconds"].default + 30
    assert worker["depends_on"]["vllm"] == {"condition": "service_healthy", "required": False}
    assert worker["environment"]["IQUEST_MODEL_BASE_URL"] == "http://vllm:8000/v1"
    vllm = services["vllm"]
    assert vllm["profiles"] == ["vllm"]
    assert vllm["entrypoint"] == ["vllm", "serve"]
    assert vllm["command"][0] == Settings.model_fields["model"].default
    assert vllm["command"][1:5] == ["--tensor-parallel-size", "8", "--max-model-len", "131072"]
    [gpus] = vllm["deploy"]["resources"]["reservations"]["devices"]
    assert gpus["capabilities"] == ["gpu"] and gpus["driver"] == "nvidia"
    assert "/health" in " ".join(vllm["healthcheck"]["test"])
    assert services["flower"]["profiles"] == ["flower"]
    assert services["prometheus"]["profiles"] == ["monitoring"]


def test_prometheus_scrapes_the_receivers_metrics() -> None:
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == "iquest-receiver"]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"][0]["targets"] == ["receiver:3000"]


def test_an_external_model_url_replaces_vllm(compose) -> None:
    url = "https://models.example.com/v1"
    services = interpolate(compose, {"COMPOSE_MODEL_BASE_URL": url} | REQUIRED)["services"]
    assert services["worker"]["environment"]["IQUEST_MODEL_BASE_URL"] == url


def test_every_variable_is_listed_in_env_example(compose) -> None:
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.M))
    used = set(m["name"] for m in VARIABLE.finditer(COMPOSE.read_text()))
    assert used - listed == set()
    settings = {f"IQUEST_{name.upper()}" for name in Settings.model_fields}
    assert settings - listed == set(), "env.example must list every setting of workers/config.py"
