"""Several hosts: a web process and two Celery workers, each with its own local directory, share one
PostgreSQL database, one Redis broker, one signing-key set and one S3-compatible bucket (moto's
server, started here). Every kind of artefact is made (the upload by the web, the journal and the
export PDF and bundle by a worker) and downloaded from the web with the recorded SHA-256; the
bundle verifies against the web's JWKS; a tampered object is refused; no artefact lands on a
local disk.

Child processes run with DJANGO_ENV=development and DEBUG=false (production additionally needs
collected static files, which is another part of issue 11's test matrix).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PORTS = range(18200, 18300)  # this test's port range
PASSWORD = "hosts-test-demo-password"
BUCKET = "wfos-hosts"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"

PREPARE_ASSESSMENT = """
import json
from types import SimpleNamespace
from accounts.models import Organisation, User
from studio.models import Workflow
from tests.assessments.helpers import preparing
u = {x.email.split("@")[0]: x for x in User.objects.all()}
globex = Organisation.objects.get(slug="globex")
p = SimpleNamespace(acme=globex, alice=u["grace"], ada=u["ada"], pat=u["gus"], gus=u["gus"])
a = preparing(p)
wf = Workflow.objects.get(organisation=globex, name="Invoice extraction")
print("IDS " + json.dumps({"assessment": a.pk, "workflow": wf.pk}))
"""


def _free_port(taken: set[int]) -> int:
    for port in PORTS:
        if port in taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        taken.add(port)
        return port
    raise AssertionError("no free port in 18200-18299")


def _wait(what: str, check: Callable[[], Any], timeout: float, logs: Callable[[], str] = str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{logs()}")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Cluster:
    """The processes of the test; everything started is stopped in :meth:`stop`."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}
        self.db = f"wfos_hosts_{uuid.uuid4().hex[:10]}"
        self.moto: Any = None
        self.db_created = False

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {name} ---\n{path.read_text(errors='replace')[-3000:]}" for name, path in self.logs.items()
        )

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        self.logs[name] = self.tmp / f"{name}.log"
        with self.logs[name].open("wb") as log:
            proc = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.procs[name] = proc
        return proc

    def manage(self, env: dict[str, str], *args: str) -> str:
        out = subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert out.returncode == 0, f"manage.py {' '.join(args[:1])} failed:\n{out.stdout}\n{out.stderr}"
        return out.stdout

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if self.moto is not None:
            self.moto.stop()
        if self.db_created:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(tmp_path)
    try:
        yield c
    finally:
        c.stop()


def _sql(c: Cluster, query: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{c.db}") as conn:
        return conn.execute(query, params).fetchall()


def _csrf(session: Any, url: str) -> str:
    page = session.get(url)
    assert page.status_code == 200, (url, page.status_code)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def test_web_and_two_workers_on_separate_disks_share_every_artefact(cluster: Cluster, tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    boto3 = pytest.importorskip("boto3")
    moto_server = pytest.importorskip("moto.server")
    requests = pytest.importorskip("requests")
    import psycopg

    from evidence.bundle import verify_bundle
    from lib.keys import generate_keyring_document
    from tests.assessments.files import PDF

    taken: set[int] = set()
    s3_port, redis_port, web_port = _free_port(taken), _free_port(taken), _free_port(taken)

    # One S3-compatible store, one broker, one database.
    cluster.moto = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
    cluster.moto.start()
    endpoint = f"http://127.0.0.1:{s3_port}"
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    s3.create_bucket(Bucket=BUCKET)
    cluster.spawn(
        "redis",
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        dict(os.environ),
    )
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{cluster.db}"')
    cluster.db_created = True

    base = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "MEDIA_ROOT")}
    base.update(
        {
            "DJANGO_ENV": "development",
            "DEBUG": "false",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{cluster.db}",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "WORKFLOWOS_SIGNING_KEYS": generate_keyring_document(),
            "WORKFLOWOS_PUBLIC_URL": f"http://127.0.0.1:{web_port}",
            "DEMO_PASSWORD": PASSWORD,
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "k",
            "AWS_SECRET_ACCESS_KEY": "s",
            "AWS_S3_REGION_NAME": "us-east-1",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    var = {name: tmp_path / f"var-{name}" for name in ("setup", "web", "w1", "w2")}

    def env_for(name: str) -> dict[str, str]:
        return {**base, "WORKFLOWOS_VAR_DIR": str(var[name])}

    setup = env_for("setup")
    cluster.manage(setup, "migrate", "--noinput", "-v", "0")
    cluster.manage(setup, "load_rubric")
    cluster.manage(setup, "seed_demo")
    ids = json.loads(cluster.manage(setup, "shell", "-c", PREPARE_ASSESSMENT).split("IDS ", 1)[1])

    web = f"http://127.0.0.1:{web_port}"
    cluster.spawn(
        "web",
        [str(BIN / "gunicorn"), "workflowos.wsgi:application", "--bind", f"127.0.0.1:{web_port}",
         "--workers", "1", "--threads", "4", "--log-level", "warning"],
        env_for("web"),
    )  # fmt: skip
    for name in ("w1", "w2"):
        cluster.spawn(
            name,
            [str(BIN / "celery"), "-A", "workflowos", "worker", "--pool=solo", "--concurrency=1",
             f"--hostname={name}@hosts-test", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
            env_for(name),
        )  # fmt: skip

    def up() -> bool:
        try:
            return requests.get(f"{web}/accounts/sign-in/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    _wait("the web process", up, 60, cluster.log_tail)
    for name in ("w1", "w2"):
        _wait(f"worker {name}", lambda n=name: "ready." in cluster.logs[n].read_text(), 60, cluster.log_tail)

    # Sign in as gus (Globex practitioner) over HTTP.
    http = requests.Session()
    token = _csrf(http, f"{web}/accounts/sign-in/")
    signed_in = http.post(
        f"{web}/accounts/sign-in/",
        data={"email": "gus@globex.example", "password": PASSWORD, "csrfmiddlewaretoken": token},
        allow_redirects=False,
    )
    assert signed_in.status_code == 302, signed_in.text[:500]

    # 1. An evidence upload, stored by the web process.
    a = ids["assessment"]
    token = _csrf(http, f"{web}/assessments/{a}/evidence/add/")
    uploaded = http.post(
        f"{web}/assessments/{a}/evidence/add/",
        data={"criterion": "PSF-5.3", "kind": "file", "title": "Runbook", "csrfmiddlewaretoken": token},
        files={"file": ("runbook.pdf", PDF, "application/pdf")},
        allow_redirects=False,
    )
    assert uploaded.status_code == 302, uploaded.text[:800]
    [(item_id, storage_name, item_sha)] = _sql(
        cluster,
        "SELECT id, storage_name, sha256 FROM assessments_evidenceitem WHERE assessment_id = %s AND kind = 'file'",
        a,
    )
    assert item_sha == _sha(PDF)

    # 2. A simulation and 3. an export, both made by a worker.
    api = {"X-CSRFToken": http.cookies["csrftoken"], "Referer": web + "/"}
    wf = ids["workflow"]
    started = http.post(f"{web}/api/workflows/{wf}/simulations/", json={"n": 20_000, "seed": 5}, headers=api)
    assert started.status_code == 202, started.text[:500]
    run_url = started.json()["url"]
    exported = http.post(f"{web}/api/workflows/{wf}/exports/", json={}, headers=api)
    assert exported.status_code == 202, exported.text[:500]
    export_url = exported.json()["url"]

    def finished(url: str) -> Any:
        body = http.get(url).json()
        assert body["status"] not in ("failed", "cancelled"), body
        return body if body["status"] == "done" else None

    run = _wait("the simulation", lambda: finished(run_url), 90, cluster.log_tail)
    export = _wait("the export", lambda: finished(export_url), 90, cluster.log_tail)
    [(journal_name, journal_hash)] = _sql(
        cluster, "SELECT journal_name, journal_hash FROM simulations_simulationrun WHERE id = %s", run["id"]
    )
    [(pdf_name, pdf_sha, bundle_name, bundle_sha)] = _sql(
        cluster,
        "SELECT pdf_name, pdf_sha256, bundle_name, bundle_sha256 FROM evidence_exportjob WHERE id = %s",
        export["id"],
    )
    workers_logs = {n: cluster.logs[n].read_text() for n in ("w1", "w2")}
    ran = {
        job: [n for n, text in workers_logs.items() if f"{job}-" in text]
        for job in (f"simulation-{run['id']}", f"export-{export['id']}")
    }
    assert all(ran.values()), ran  # made by a worker, not by the web process
    print(f"jobs ran on: {ran}")

    # Every artefact downloads from the web side with its recorded SHA-256.
    evidence_url = f"{web}/assessments/{a}/evidence/{item_id}/download/"
    got = http.get(evidence_url)
    assert got.status_code == 200 and _sha(got.content) == item_sha
    journal_url = f"{web}/api/simulations/{run['id']}/journal/"
    plain = http.get(journal_url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and _sha(plain.content) == journal_hash == run["journal_sha256"]
    zipped = http.get(journal_url, headers={"Accept-Encoding": "gzip"}, stream=True)
    raw = zipped.raw.read(decode_content=False)
    assert zipped.headers["Content-Encoding"] == "gzip" and _sha(gzip.decompress(raw)) == journal_hash
    assert raw == s3.get_object(Bucket=BUCKET, Key=f"journals/{journal_name}")["Body"].read()
    pdf = http.get(f"{web}/api/exports/{export['id']}/evidence-pack.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and _sha(pdf.content) == pdf_sha
    bundle = http.get(f"{web}/api/exports/{export['id']}/evidence-bundle.zip")
    assert bundle.status_code == 200 and _sha(bundle.content) == bundle_sha

    # The bundle a worker signed verifies against the keys the web publishes.
    jwks = requests.get(f"{web}/.well-known/jwks.json").json()
    verdict = verify_bundle(bundle.content, jwks)
    assert verdict.ok and not verdict.used_embedded_jwks, verdict.problems

    # Nothing went to a local disk: all of it is in the bucket.
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert {
        f"evidence/{storage_name}",
        f"journals/{journal_name}",
        f"exports/{pdf_name}",
        f"exports/{bundle_name}",
    } <= keys
    for name, folder in var.items():
        local = [
            str(p)
            for kind in ("evidence", "journals", "exports")
            for p in (folder / "files" / kind).rglob("*")
        ]
        assert local == [], f"{name} kept artefacts on its own disk: {local}"

    # Tampered objects are refused, journals included.
    s3.put_object(Bucket=BUCKET, Key=f"exports/{pdf_name}", Body=pdf.content + b"%tampered")
    refused = http.get(f"{web}/api/exports/{export['id']}/evidence-pack.pdf")
    assert refused.status_code == 409 and "SHA-256" in refused.text
    s3.put_object(Bucket=BUCKET, Key=f"journals/{journal_name}", Body=gzip.compress(plain.content + b"{}\n"))
    for encoding in ("gzip", "identity"):
        refused = http.get(journal_url, headers={"Accept-Encoding": encoding})
        assert refused.status_code == 409 and "SHA-256" in refused.text
    s3.put_object(Bucket=BUCKET, Key=f"evidence/{storage_name}", Body=PDF.replace(b"200", b"201"))
    refused = http.get(evidence_url)
    assert refused.status_code == 409 and "SHA-256" in refused.text
    assert http.get(f"{web}/api/exports/{export['id']}/evidence-bundle.zip").status_code == 200  # untouched
