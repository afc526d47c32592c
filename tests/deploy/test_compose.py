"""deploy/compose.yaml: the services an organisation starts, each running a real command."""

from __future__ import annotations

import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest

from monitor.cli import build_parser
from monitor.config import load_settings
from tests.conftest import ROOT

yaml = pytest.importorskip("yaml", reason="PyYAML reads compose.yaml; pip install pyyaml")

COMPOSE = ROOT / "deploy" / "compose.yaml"
MONITOR_SERVICES = ("scheduler", "worker", "web")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_postgresql_one_scheduler_two_workers_and_the_dashboard(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"db", *MONITOR_SERVICES}
    assert services["db"]["image"].endswith("postgres:15")
    assert "healthcheck" in services["db"]
    assert services["worker"]["deploy"]["replicas"] == 2
    assert "replicas" not in services["scheduler"].get("deploy", {})
    assert set(compose["volumes"]) == {"postgres-data", "monitor-data"}


@pytest.mark.parametrize("name", MONITOR_SERVICES)
def test_each_monitor_service_is_built_from_the_containerfile_and_waits_for_the_database(
    compose: dict[str, Any], name: str
) -> None:
    service = compose["services"][name]
    build = service["build"]
    assert (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve() == (
        ROOT / "deploy" / "Containerfile"
    )
    assert service["depends_on"]["db"]["condition"] == "service_healthy"
    assert service["environment"]["MONITOR_CONFIG"] == "/etc/monitor/monitor.toml"
    assert "./monitor.toml:/etc/monitor/monitor.toml:ro" in service["volumes"]
    assert service["read_only"] is True
    assert service["cap_drop"] == ["ALL"]


@pytest.mark.parametrize("name", MONITOR_SERVICES)
def test_each_command_is_one_the_monitor_has(compose: dict[str, Any], name: str) -> None:
    program, *arguments = compose["services"][name]["command"]
    assert program == "monitor"
    parsed = build_parser().parse_args(arguments)
    assert parsed.command == arguments[0]


def test_the_dashboard_is_published_on_loopback_only(compose: dict[str, Any]) -> None:
    assert compose["services"]["web"]["ports"] == ["127.0.0.1:8080:8080"]
    for name in ("db", "scheduler", "worker"):
        assert "ports" not in compose["services"][name], f"{name} must not be published"


def test_the_image_has_the_postgresql_driver_workers_and_captures() -> None:
    containerfile = (ROOT / "deploy" / "Containerfile").read_text(encoding="utf-8")
    assert '".[postgres,captures]"' in containerfile
    assert "chromium" in containerfile
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    assert any(pin.startswith("procrastinate") for pin in extras["postgres"])
    assert any(pin.startswith("playwright") for pin in extras["captures"])


def test_the_config_the_header_shows_loads(tmp_path: Path) -> None:
    lines = COMPOSE.read_text(encoding="utf-8").splitlines()
    start = lines.index("#   [storage]")
    end = next(index for index in range(start, len(lines)) if not lines[index].startswith("#   "))
    config = tmp_path / "monitor.toml"
    config.write_text("\n".join(line[4:] for line in lines[start:end]), encoding="utf-8")

    settings = load_settings(
        config, environ={"MONITOR_DB_PASSWORD": "pw", "MONITOR_WEB_SECRET": "s" * 64}
    )

    assert settings.storage.url == "postgresql+psycopg://monitor:pw@db/monitor"
    assert settings.captures.directory == Path("/data/captures")


def test_the_header_runs_the_upgrade_before_starting_everything() -> None:
    commands = [
        shlex.split(line.removeprefix("#").split("#")[0])
        for line in COMPOSE.read_text(encoding="utf-8").splitlines()
        if line.startswith("#   docker compose")
    ]
    upgrade = commands.index(
        ["docker", "compose", "run", "--rm", "scheduler", "monitor", "db", "upgrade"]
    )
    everything = commands.index(["docker", "compose", "up", "-d"])
    assert upgrade < everything
    assert ["docker", "compose", "up", "-d", "--scale", "worker=4"] in commands
