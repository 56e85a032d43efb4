"""``db update`` against a real HTTP server on 127.0.0.1 serving the shared feeds under the
upstream layout, with ETags, a 304, a failing and an interrupted download."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from hullcheck.advisories.store import AdvisoryStore
from hullcheck.advisories.update import UpdateConfig, update
from hullcheck.errors import AdvisoryDBError
from tests.advisories.conftest import every_nth

VUNNEL = "distro/vunnel-provider-fixtures/tests/unit/providers"


@dataclass
class Upstream:
    files: dict[str, bytes] = field(default_factory=dict)
    interrupt: set[str] = field(default_factory=set)
    fail: set[str] = field(default_factory=set)
    log: list[tuple[str, int]] = field(default_factory=list)
    base: str = ""


def _handler(up: Upstream) -> type[BaseHTTPRequestHandler]:
    class H(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def do_GET(self) -> None:
            body = up.files.get(self.path)
            if self.path in up.fail or body is None:
                up.log.append((self.path, 500 if body is not None else 404))
                self.send_error(500 if body is not None else 404)
                return
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                up.log.append((self.path, 304))
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            up.log.append((self.path, 200))
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", "Fri, 27 Nov 2026 10:00:00 GMT")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.path in up.interrupt:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    return H


def _zip(files: list[Path]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, f.name)
    return buf.getvalue()


@pytest.fixture
def upstream(adv: Path) -> Iterator[Upstream]:
    up = Upstream()
    go = every_nth(list((adv / "osv/go-vulndb/data/osv").glob("*.json")), 60)
    rust = every_nth(list((adv / "osv/rustsec-osv/crates").glob("*.json")), 30)
    up.files["/osv/Go/all.zip"] = _zip(go)
    up.files["/osv/crates.io/all.zip"] = _zip(rust)
    up.files["/tracker/data/json"] = (
        adv / VUNNEL / "debian/test-fixtures/input/debian.json"
    ).read_bytes()
    for repo in ("main", "community"):
        # upstream publishes secdb as JSON today; the shared v3.15 copy is YAML: same data
        doc = yaml.load(
            (adv / VUNNEL / f"alpine/test-fixtures/input/secdb/v3.15/{repo}.yaml").read_bytes(),
            Loader=yaml.BaseLoader,
        )
        up.files[f"/secdb/v3.15/{repo}.json"] = json.dumps(doc).encode()
    up.files["/kev.json"] = (adv / VUNNEL / "kev/test-fixtures/valid-catalog-1.json").read_bytes()
    up.files["/epss_scores-current.csv.gz"] = gzip.compress(
        (adv / VUNNEL / "epss/test-fixtures/example-1.csv").read_bytes()
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(up))
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    up.base = f"http://127.0.0.1:{server.server_address[1]}"
    up.go_files = go  # type: ignore[attr-defined]
    yield up
    server.shutdown()
    server.server_close()


def _cfg(up: Upstream) -> UpdateConfig:
    return UpdateConfig(
        mirrors={
            "osv": f"{up.base}/osv",
            "debian": f"{up.base}/tracker/data/json",
            "alpine": f"{up.base}/secdb",
            "kev": f"{up.base}/kev.json",
            "epss": f"{up.base}/epss_scores-current.csv.gz",
        },
        osv_ecosystems=("Go", "crates.io"),
        alpine_releases=("v3.15",),
        timeout=10,
    )


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_update_then_304_then_change(upstream: Upstream, tmp_path: Path, adv: Path) -> None:
    db = tmp_path / "db" / "advisories.db"
    r = update(db, _cfg(upstream))
    assert r.rebuilt and all(f.changed for f in r.fetched) and r.imported.malformed == 0
    with AdvisoryStore.open(db) as s:
        for f in upstream.go_files:
            assert s.get(json.loads(f.read_text())["id"]) is not None
        st = s.status()
        names = {x.name for x in st.sources}
        assert names == {
            "osv:Go",
            "osv:crates.io",
            "debian-tracker:security-tracker",
            "alpine-secdb:v3.15/main",
            "alpine-secdb:v3.15/community",
            "kev:cisa",
            "epss:first",
        }
        go_src = next(x for x in st.sources if x.name == "osv:Go")
        assert go_src.url == f"{upstream.base}/osv/Go/all.zip"
        assert go_src.etag.startswith('"') and go_src.timestamp == "2026-11-27T10:00:00Z"
        assert go_src.records == len(upstream.go_files)
        assert s.epss("CVE-1999-0001") is not None and st.kev > 0
        assert s.lookup("Alpine:v3.15", "zeromq")
    before = _sha(db)
    upstream.log.clear()
    r = update(db, _cfg(upstream))  # its speed (< 2 s) is measured by bench/advisories_bench.py
    assert not r.rebuilt
    assert {code for _, code in upstream.log} == {304}
    assert _sha(db) == before
    # one feed changes upstream: the next update downloads it (others 304) and rebuilds
    extra = every_nth(list((adv / "osv/go-vulndb/data/osv").glob("*.json")), 61)
    upstream.files["/osv/Go/all.zip"] = _zip(extra)
    upstream.log.clear()
    r = update(db, _cfg(upstream))
    assert r.rebuilt
    assert dict(upstream.log)["/osv/Go/all.zip"] == 200
    assert sum(1 for _, c in upstream.log if c == 304) == len(upstream.log) - 1
    with AdvisoryStore.open(db) as s:
        ids = set(s.ids())
        assert all(json.loads(f.read_text())["id"] in ids for f in extra)
        gone = {json.loads(f.read_text())["id"] for f in upstream.go_files} - {
            json.loads(f.read_text())["id"] for f in extra
        }
        assert gone and not (gone & ids)  # built fresh: records no longer published are gone


@pytest.mark.parametrize("mode", ["interrupt", "fail"])
def test_failed_download_keeps_previous_database(
    upstream: Upstream, tmp_path: Path, adv: Path, mode: str
) -> None:
    db = tmp_path / "db" / "advisories.db"
    update(db, _cfg(upstream))
    before = _sha(db)
    cached = db.parent / "feeds" / "osv-Go.zip"
    cached_before = _sha(cached)
    upstream.files["/osv/Go/all.zip"] = _zip(
        every_nth(list((adv / "osv/go-vulndb/data/osv").glob("*.json")), 70)
    )
    getattr(upstream, mode).add("/osv/Go/all.zip")
    with pytest.raises(AdvisoryDBError, match="osv:Go") as err:
        update(db, _cfg(upstream))
    expect = "HTTP 500" if mode == "fail" else "incomplete|interrupted|peer closed"
    assert re.search(expect, err.value.message), err.value.message
    assert _sha(db) == before
    assert _sha(cached) == cached_before
    assert not [p for p in (db.parent / "feeds").iterdir() if p.name.endswith(".part")]
    assert sorted(p.name for p in db.parent.iterdir()) == ["advisories.db", "feeds"]
    with AdvisoryStore.open(db) as s:
        assert s.status().advisories > 0


def test_cli_update(run_cli, upstream: Upstream, tmp_path: Path) -> None:
    db = tmp_path / "advisories.db"
    args = [
        "db",
        "update",
        "--db",
        str(db),
        "--sources",
        "osv,alpine",
        "--mirror",
        f"osv={upstream.base}/osv",
        "--mirror",
        f"alpine={upstream.base}/secdb",
    ]
    env = {"HULLCHECK_OSV_ECOSYSTEMS": "Go", "HULLCHECK_ALPINE_RELEASES": "v3.15"}
    r = run_cli(*args, env=env)
    assert r.returncode == 0, r.stderr
    assert "osv:Go: downloaded" in r.stdout and "rebuilt" in r.stdout
    r = run_cli(*args, env=env)
    assert r.returncode == 0 and "unchanged (304)" in r.stdout and "up to date" in r.stdout
    r = run_cli("db", "update", "--db", str(db), "--mirror", "nonsense")
    assert r.returncode == 2
    r = run_cli("db", "status", "--db", str(db), "-f", "json")
    assert {s["name"] for s in json.loads(r.stdout)["sources"]} == {
        "osv:Go",
        "alpine-secdb:v3.15/main",
        "alpine-secdb:v3.15/community",
    }
