"""deploy/k8s: every manifest of the base and of each overlay's rendering is valid for Kubernetes
(kubernetes-validate's bundled schemas, strict) and the KEDA ScaledObject for its CRD."""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.deploy.kustomize import KustomizeError, load_documents, render
from workers.intake.queues import queues_to_consume

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SCHEMAS = ROOT / "tests" / "data" / "deploy-schemas"
# The oldest Kubernetes the manifests are written for (policy/v1 PDBs, native sidecars aside).
KUBERNETES_VERSION = "1.30.0"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())


def _strict(schema: Any) -> Any:
    """The CRD's schema with unknown fields refused, as the API server's pruning would drop
    them silently: a misspelt field must fail here rather than vanish in the cluster."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out \
                and not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@pytest.fixture(scope="module")
def scaledobject_schema() -> dict[str, Any]:
    crd = yaml.safe_load((SCHEMAS / "keda.sh_scaledobjects.yaml").read_text())
    [version] = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
    schema = _strict(version["schema"]["openAPIV3Schema"])
    # metadata is the API server's to check (kubernetes-validate does ObjectMeta elsewhere).
    schema["properties"]["metadata"] = {"type": "object"}
    return schema


def validate(resource: dict[str, Any], scaledobject_schema: dict[str, Any]) -> None:
    if resource["kind"] == "ScaledObject":
        jsonschema.validate(resource, scaledobject_schema)
        return
    kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def _base_files() -> list[Path]:
    return sorted((K8S / "base").glob("*.yaml"))


@pytest.mark.parametrize("path", _base_files(), ids=lambda p: p.name)
def test_every_base_manifest_is_valid(path: Path, scaledobject_schema) -> None:
    docs = load_documents(path)
    if path.name == "kustomization.yaml":
        return
    assert docs
    for doc in docs:
        validate(doc, scaledobject_schema)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_renders_valid_resources(overlay: str, scaledobject_schema) -> None:
    rendered = render(K8S / "overlays" / overlay)
    for resource in rendered:
        validate(resource, scaledobject_schema)
        assert resource["metadata"].get("namespace") == "iquest"
        # Applying an overlay must never overwrite the real Secrets with empty ones.
        assert resource["kind"] != "Secret"


def test_the_validators_catch_mistakes(scaledobject_schema) -> None:
    """A guard against tests that cannot fail: one misspelt field in each kind of check."""
    deployment = load_documents(K8S / "base" / "receiver.yaml")[0]
    broken = copy.deepcopy(deployment)
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken, scaledobject_schema)
    scaled = next(d for d in load_documents(K8S / "base" / "worker.yaml")
                  if d["kind"] == "ScaledObject")
    broken = copy.deepcopy(scaled)
    broken["spec"]["maxReplicas"] = 3
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, scaledobject_schema)
    broken = copy.deepcopy(scaled)
    del broken["spec"]["scaleTargetRef"]
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, scaledobject_schema)


def _by_kind(resources: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["kind"], r["metadata"]["name"]): r for r in resources}


def _container(resource: dict[str, Any]) -> dict[str, Any]:
    return resource["spec"]["template"]["spec"]["containers"][0]


def test_base_has_what_operating_it_needs() -> None:
    base = _by_kind(render(K8S / "base"))
    receiver = base[("Deployment", "iquest-receiver")]
    probes = _container(receiver)
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert base[("PodDisruptionBudget", "iquest-receiver")]["spec"]["minAvailable"] == 1
    assert base[("Service", "iquest-receiver")]
    assert base[("Ingress", "iquest-receiver")]
    # Scaled on the Celery queues' own lists, the ones the receiver pushes to.
    config = base[("ConfigMap", "iquest-config")]["data"]
    triggers = base[("ScaledObject", "iquest-worker")]["spec"]["triggers"]
    assert {t["type"] for t in triggers} == {"redis"}
    assert sorted(t["metadata"]["listName"] for t in triggers) == \
        queues_to_consume(config["IQUEST_QUEUE_NAME"], has_app_credentials=True)
    assert base[("ScaledObject", "iquest-worker")]["spec"]["scaleTargetRef"]["name"] == \
        "iquest-worker"
    # The grace period outlasts the worker's own shutdown window (hand back, then exit).
    worker = base[("Deployment", "iquest-worker")]
    grace = worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace >= float(config["IQUEST_WORKER_SHUTDOWN_SECONDS"]) + 30
    beat = base[("Deployment", "iquest-beat")]
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"]["type"] == "Recreate"
    assert _container(beat)["command"] == ["iquest", "beat"]
    redis = base[("StatefulSet", "redis")]
    assert "--appendonly" in _container(redis)["args"]
    assert redis["spec"]["volumeClaimTemplates"]
    vllm = _container(base[("Deployment", "vllm")])
    assert vllm["resources"]["limits"]["nvidia.com/gpu"]
    assert vllm["readinessProbe"]["httpGet"]["path"] == "/health"
    assert vllm["args"][0] == config["IQUEST_MODEL"]
    # Secrets hold the webhook secret and the App key; every container runs as non-root.
    assert base[("Secret", "iquest-webhook")]["stringData"] == {
        "webhook-secret": "", "repair-token": "", "setup-token": ""}
    # /repair has its own token and /setup its own; the manifest's URLs are the public URL's.
    receiver_env = {e["name"]: e for e in probes["env"]}
    for name, key in (("IQUEST_REPAIR_TOKEN", "repair-token"), ("IQUEST_SETUP_TOKEN", "setup-token")):
        ref = receiver_env[name]["valueFrom"]["secretKeyRef"]
        assert (ref["name"], ref["key"], ref["optional"]) == ("iquest-webhook", key, True)
    host = base[("Ingress", "iquest-receiver")]["spec"]["rules"][0]["host"]
    assert config["IQUEST_PUBLIC_URL"] == f"https://{host}"
    assert "private-key.pem" in base[("Secret", "iquest-app-key")]["stringData"]
    for name in ("iquest-receiver", "iquest-worker", "iquest-beat"):
        pod = base[("Deployment", name)]["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert _container(base[("Deployment", name)])["resources"]["requests"]


def test_external_redis_overlay_drops_the_statefulset_and_reads_the_url_from_a_secret() -> None:
    rendered = _by_kind(render(K8S / "overlays" / "external-redis"))
    assert ("StatefulSet", "redis") not in rendered and ("Service", "redis") not in rendered
    for name in ("iquest-receiver", "iquest-worker", "iquest-beat"):
        env = {e["name"]: e for e in _container(rendered[("Deployment", name)]).get("env", [])}
        assert env["IQUEST_REDIS_URL"]["valueFrom"]["secretKeyRef"]["name"] == "iquest-redis"
    receiver_env = [e["name"] for e in _container(rendered[("Deployment", "iquest-receiver")])["env"]]
    assert "IQUEST_WEBHOOK_SECRET" in receiver_env  # merged by name, not replaced
    for trigger in rendered[("ScaledObject", "iquest-worker")]["spec"]["triggers"]:
        assert trigger["metadata"]["passwordFromEnv"] == "IQUEST_REDIS_PASSWORD"


def test_production_overlay_pins_the_image() -> None:
    rendered = _by_kind(render(K8S / "overlays" / "production"))
    for name in ("iquest-receiver", "iquest-worker", "iquest-beat"):
        assert _container(rendered[("Deployment", name)])["image"] == \
            "registry.example.com/iquest-autofix:0.1.0"
    assert rendered[("Deployment", "iquest-receiver")]["spec"]["replicas"] == 3


def test_the_renderer_refuses_what_it_does_not_support(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("configMapGenerator: []\n")
    with pytest.raises(KustomizeError, match="does not support"):
        render(tmp_path)


def test_the_renderer_refuses_several_deletions_in_one_patch(tmp_path: Path) -> None:
    """kustomize before 5.7 (kubectl before 1.34) panics on them: one deletion per patch."""
    (tmp_path / "kustomization.yaml").write_text(
        f"resources: [{K8S / 'base'}]\npatches: [{{path: gone.yaml}}]\n")
    (tmp_path / "gone.yaml").write_text(
        "{$patch: delete, apiVersion: v1, kind: Service, metadata: {name: redis}}\n---\n"
        "{$patch: delete, apiVersion: v1, kind: Service, metadata: {name: vllm}}\n")
    with pytest.raises(KustomizeError, match="patch of its own"):
        render(tmp_path)


# Redis answers only with its password. The checks resolve each container's environment as the
# kubelet would: the ConfigMap (envFrom), then `env` in order, a Secret's key standing for its
# value and $(VAR) expanded from the variables defined before it.
TARGETS = ["base"] + [f"overlays/{overlay}" for overlay in OVERLAYS]
REDIS_CLIENT_COMMANDS = {"serve", "worker", "beat"}


def _secret(ref: dict[str, Any]) -> str:
    return f"<{ref['name']}/{ref['key']}>"


def _expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion: `$$` is a literal `$`, an unknown name stays as written."""
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)",
                  lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), text)


def _environment(container: dict[str, Any], rendered: dict[tuple[str, str], Any]) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(rendered[("ConfigMap", source["configMapRef"]["name"])]["data"])
    for var in container.get("env", []):
        # A kustomize patch setting valueFrom over a base's value leaves both: refused by the API.
        assert not ("value" in var and "valueFrom" in var), var
        if "valueFrom" in var:
            env[var["name"]] = _secret(var["valueFrom"]["secretKeyRef"])
        else:
            env[var["name"]] = _expand(var["value"], env)
    return env


def _redis_password_ref(rendered: dict[tuple[str, str], Any]) -> dict[str, Any] | None:
    """The Secret key the in-cluster Redis takes its password from; None without one."""
    redis = rendered.get(("StatefulSet", "redis"))
    if redis is None:
        return None
    env = {var["name"]: var for var in _container(redis).get("env", [])}
    assert "secretKeyRef" in env.get("REDIS_PASSWORD", {}).get("valueFrom", {}), \
        "the in-cluster Redis takes no password from a Secret"
    return env["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"]


@pytest.mark.parametrize("target", TARGETS)
def test_the_in_cluster_redis_requires_the_password_of_a_secret(target: str) -> None:
    rendered = _by_kind(render(K8S / target))
    ref = _redis_password_ref(rendered)
    if ref is None:  # the external-redis overlay: no Redis of its own
        assert target == "overlays/external-redis"
        return
    assert ref["name"] == "iquest-redis" and not ref.get("optional")
    redis = _container(rendered[("StatefulSet", "redis")])
    env = _environment(redis, rendered)
    password = env["REDIS_PASSWORD"]
    args = [_expand(arg, env) for arg in redis["args"]]
    assert args[args.index("--requirepass") + 1] == password
    # The probes talking to Redis authenticate (REDISCLI_AUTH) and want its PONG, not just any
    # answer: redis-cli exits 0 on a NOAUTH error. A TCP probe needs no password.
    assert env["REDISCLI_AUTH"] == password
    assert "exec" in redis["readinessProbe"]
    for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
        probe = redis.get(kind, {})
        if "exec" in probe:
            command = " ".join(probe["exec"]["command"])
            assert "redis-cli" in command and "PONG" in command, kind
    # The base's Secret is an empty placeholder, like the App's; the overlays leave it out.
    if target == "base":
        assert rendered[("Secret", "iquest-redis")]["stringData"] == {"password": ""}


@pytest.mark.parametrize("target", TARGETS)
def test_every_redis_client_sends_the_password(target: str) -> None:
    rendered = _by_kind(render(K8S / target))
    ref = _redis_password_ref(rendered)
    clients = set()
    for (kind, name), resource in rendered.items():
        if kind not in ("Deployment", "StatefulSet"):
            continue
        pod = resource["spec"]["template"]["spec"]
        for container in pod.get("initContainers", []) + pod["containers"]:
            env = _environment(container, rendered)
            command = container.get("command", [])
            if "IQUEST_REDIS_URL" not in env and not (
                    command[:1] == ["iquest"] and command[1] in REDIS_CLIENT_COMMANDS):
                continue
            clients.add(name)
            url = env["IQUEST_REDIS_URL"]
            if ref is None:  # external-redis: the whole URL (with its password) from a Secret
                assert url == "<iquest-redis/url>", (name, url)
            else:  # the in-cluster Redis's own password, from the key Redis takes it from
                assert url == f"redis://:{_secret(ref)}@redis:6379/0", (name, url)
    assert clients >= {"iquest-receiver", "iquest-worker", "iquest-beat"}


@pytest.mark.parametrize("target", TARGETS)
def test_keda_authenticates_to_redis(target: str) -> None:
    rendered = _by_kind(render(K8S / target))
    ref = _redis_password_ref(rendered)
    scaled = rendered[("ScaledObject", "iquest-worker")]["spec"]
    # KEDA resolves passwordFromEnv in the scale target's (first) container.
    scale_target = rendered[("Deployment", scaled["scaleTargetRef"]["name"])]
    env = _environment(_container(scale_target), rendered)
    expected = _secret(ref) if ref is not None else "<iquest-redis/password>"
    for trigger in scaled["triggers"]:
        assert env[trigger["metadata"]["passwordFromEnv"]] == expected


def test_redis_refuses_to_start_with_an_empty_password(tmp_path: Path) -> None:
    """Run the container's command with /bin/sh: `--requirepass ""` would mean no password."""
    redis = _container(_by_kind(render(K8S / "base"))[("StatefulSet", "redis")])
    # The image's entrypoint, standing in: prints what it would run.
    entrypoint = tmp_path / "docker-entrypoint.sh"
    entrypoint.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    entrypoint.chmod(0o755)

    def start(password: str) -> subprocess.CompletedProcess[str]:
        env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "REDIS_PASSWORD": password}
        argv = [_expand(a, env) for a in redis["command"] + redis["args"]]
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=10)

    refused = start("")
    assert refused.returncode != 0 and refused.stdout == ""
    assert "iquest-redis" in refused.stderr
    started = start("0123abcd")
    assert started.returncode == 0, started.stderr
    argv = started.stdout.splitlines()
    assert argv[0] == "redis-server" and argv[argv.index("--requirepass") + 1] == "0123abcd"
