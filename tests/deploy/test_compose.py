"""docker-compose.yml, read as data (CI has no Docker engine): what a production stack needs."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from tests.deploy.helpers import ROOT

APP_SERVICES = ("web", "worker", "beat")
SHARED_VARIABLES = (
    "WORKFLOWOS_SIGNING_KEYS",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
)


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def _command(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _volume_sources(service: dict[str, Any]) -> set[str]:
    sources = set()
    for volume in service.get("volumes", []):
        source = volume.get("source") if isinstance(volume, dict) else str(volume).split(":")[0]
        if source:
            sources.add(source)
    return sources


def test_the_stack_has_every_service(services):
    assert {"web", "worker", "beat", "db", "redis"} <= services.keys()
    assert "gunicorn" in _command(services["web"])
    assert re.search(r"celery .*\bworker\b", _command(services["worker"]))
    assert re.search(r"celery .*\bbeat\b", _command(services["beat"]))
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


def test_app_services_restart_unless_stopped(services):
    for name in APP_SERVICES:
        assert services[name].get("restart") == "unless-stopped", name
    for name in ("db", "redis", "minio"):
        assert services[name].get("restart") == "unless-stopped", name


def test_every_app_service_gets_the_same_required_keys_and_s3_settings(services):
    envs = {name: _environment(services[name]) for name in APP_SERVICES}
    for variable in SHARED_VARIABLES:
        values = {name: env.get(variable, "") for name, env in envs.items()}
        assert all(values.values()), f"{variable} missing in {values}"
        assert len(set(values.values())) == 1, f"{variable} differs between services: {values}"
    # The signing keys come from the operator's environment and are required (no default ring).
    assert re.fullmatch(r"\$\{WORKFLOWOS_SIGNING_KEYS:\?[^}]+\}", envs["web"]["WORKFLOWOS_SIGNING_KEYS"])
    assert envs["web"]["DJANGO_ENV"] == "production"


def test_an_s3_compatible_store_and_its_bucket(services):
    (store,) = [n for n, s in services.items() if "minio/minio" in s.get("image", "")]
    endpoint = _environment(services["web"])["AWS_S3_ENDPOINT_URL"]
    assert f"//{store}:9000" in endpoint
    (maker,) = [n for n, s in services.items() if "minio/mc" in s.get("image", "")]
    assert "mc mb" in _command(services[maker]) or "mc mb" in " ".join(services[maker].get("entrypoint", []))
    assert services[maker]["restart"] == "no"
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends[maker]["condition"] == "service_completed_successfully"
        assert depends[store]["condition"] == "service_healthy"


def test_web_and_worker_share_no_disk(services):
    web, worker, beat = (_volume_sources(services[n]) for n in APP_SERVICES)
    assert not web & worker, f"web and worker share {web & worker}"
    assert not web & beat and not worker & beat
    assert not any(s.startswith(("./", "/")) for s in web | worker), "no host folder either"
    named = yaml.safe_load((ROOT / "docker-compose.yml").read_text()).get("volumes", {}) or {}
    assert "appdata" not in named


def test_migrations_run_once_before_the_app(services):
    (migrate,) = [n for n, s in services.items() if "manage.py migrate" in _command(s)]
    assert migrate not in APP_SERVICES
    assert services[migrate]["restart"] == "no"
    for name in APP_SERVICES:
        assert services[name]["depends_on"][migrate]["condition"] == "service_completed_successfully"
        assert "migrate" not in _command(services[name])


def test_health_checks(services):
    for name in ("web", "worker", "db", "redis", "minio"):
        check = services[name].get("healthcheck", {}).get("test")
        assert check, f"{name} has no health check"
    web = " ".join(services["web"]["healthcheck"]["test"])
    assert "python" in web and "healthcheck.py" in web and "curl" not in web
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])
    for name in APP_SERVICES:
        for dependency in ("db", "redis"):
            assert services[name]["depends_on"][dependency]["condition"] == "service_healthy"


def _has_compose() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.skipif(not _has_compose(), reason="no docker compose here (CI has none)")
def test_docker_compose_accepts_the_file(tmp_path):
    env = {"SECRET_KEY": "x" * 60, "POSTGRES_PASSWORD": "p", "MINIO_ROOT_PASSWORD": "m" * 20,
           "WORKFLOWOS_SIGNING_KEYS": "{}", "PATH": "/usr/bin:/bin:/usr/local/bin"}  # fmt: skip
    result = subprocess.run(
        ["docker", "compose", "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
