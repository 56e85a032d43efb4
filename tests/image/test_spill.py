"""File records past the memory budget: the spill store, the layer cache of spilled layers, and
the same output from a forced spill as from memory (``HULLCHECK_SPILL_FILES``)."""

from __future__ import annotations

import gc
import json
import os
import re
from pathlib import Path

import pytest

from hullcheck.config import Limits, cache_dir
from hullcheck.errors import HullcheckError, LimitExceededError, UsageError
from hullcheck.image import filetable
from hullcheck.image.filesystem import SpilledView, SquashedView
from hullcheck.image.filetable import FileTable, SpillPolicy, SpillStore
from hullcheck.image.layercache import FORMAT
from hullcheck.image.open import open_image

from ..format.images import DPKG_ADDED, NPM, PYTHON, sample_spec
from ..secrets import fakes
from .build import ImageSpec, d, f, hard, oci_layout, sym

TOKEN = fakes.token("ghp_", 36, "spill")
# what differs between two runs of one command: the time of the run, random serial numbers
_VOLATILE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?|urn:uuid:[0-9a-f-]{36}")


def _records(n: int, prefix: str = "/d") -> list[filetable.FileRecord]:
    return [(f"{prefix}/{i:05d}", "f", i, 0o644, i % 3, 0, "") for i in range(n)]


def _spill_fds() -> list[str]:  # (Linux: /proc)
    """Open descriptors of this process on spill databases."""
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if "/files-" in target and target.endswith(".db (deleted)"):
            out.append(target)
    return out


def test_table_keeps_archive_order_in_memory_and_spilled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(filetable, "CHUNK", 8)
    policy = SpillPolicy(threshold=30)
    a, b = FileTable(policy=policy), FileTable(policy=policy)
    recs_a, recs_b = _records(25, "/a"), _records(100, "/b")
    for r in recs_a:
        a.append(r)
    a.finish()
    assert not a.spilled and a.buffer == recs_a  # 25 records: within the budget
    for i, r in enumerate(recs_b):
        b.append(r)
        if i > 32:  # the budget (30, counted every 8 records) was exceeded: b holds a chunk at most
            assert b.spilled and len(b.buffer) <= 8
    b.finish()
    assert list(b) == recs_b and len(b) == 100 and b == recs_b
    # a later check of ``a`` sees the budget exceeded too, and a spilled table still appends
    a.extend(_records(10, "/c"))
    a.finish()
    assert a.spilled and list(a) == recs_a + _records(10, "/c") and a.store is b.store


def test_whiteouts_count_in_the_budget_and_spill_with_the_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A layer that deletes many files spills like one that adds many, and views agree."""
    from hullcheck.image.walk import LayerScan

    monkeypatch.setattr(filetable, "CHUNK", 8)
    lower = _records(60, "/d")
    gone = [r[0] for r in lower[::2]]
    policy = SpillPolicy(threshold=20)
    base = LayerScan(0, "sha256:0", files=FileTable(policy=policy, order=0))
    base.files.extend(lower[:15])
    base.files.finish()  # 15 records: within the budget
    top = LayerScan(1, "sha256:1", files=FileTable(policy=policy, order=1))
    for p in gone:
        top.whiteouts.append(p)
    top.opaque.append("/e")
    top.files.finish()
    assert top.files.spilled and top.whiteouts.spilled and len(top.whiteouts.buffer) < 8
    assert list(top.whiteouts) == gone and list(top.opaque) == ["/e"] and not base.files.spilled
    base.files.extend(lower[15:])
    base.files.finish()
    assert base.files.spilled
    view = SquashedView([base, top])
    memory = SquashedView([LayerScan(0, "sha256:0", files=lower),
                           LayerScan(1, "sha256:1", whiteouts=gone, opaque=["/e"])])
    assert isinstance(view, SpilledView) and type(memory) is SquashedView
    assert list(view.sorted_entries()) == list(memory.sorted_entries()) and len(view) == 30


def test_store_round_trips_odd_names(tmp_path: Path) -> None:
    store = SpillStore(tmp_path)
    odd = [
        ("/", "d", 0, 0o755, 0, 0, ""),
        ("/caf\xe9/\udcff\udc80", "f", 3, 0o4755, 1000, 50, ""),  # not UTF-8 in the tar: surrogates
        ("/a b", "l", 0, 0o777, 0, 0, "../\udcfe/x y"),
        ("/a", "h", 0, 0o644, 0, 0, "/a b"),
    ]
    t = FileTable(odd)
    t.spill(store)
    assert list(t) == odd and t.buffer == []
    assert list(tmp_path.iterdir()) == []  # unlinked as soon as it is open
    store.close()
    assert store.closed


def test_view_over_odd_names_matches_memory(tmp_path: Path) -> None:
    from hullcheck.image.walk import LayerScan

    recs = [("/x", "d", 0, 0o755, 0, 0, ""), ("/x/\udcff", "f", 1, 0o644, 0, 0, ""), ("/x-y", "f", 1, 0o644, 0, 0, ""),
            ("/x/a b", "f", 1, 0o644, 0, 0, ""), ("/l", "l", 0, 0o777, 0, 0, "/x/\udcff")]
    mem = SquashedView([LayerScan(0, "sha256:0", files=list(recs))])
    scans = [LayerScan(0, "sha256:0", files=list(recs))]
    filetable.spill_all((s.files for s in scans), SpillStore(tmp_path))
    disk = SquashedView(scans)
    assert isinstance(disk, SpilledView)
    assert list(disk.sorted_entries()) == list(mem.sorted_entries())
    assert disk.resolve("/l") == mem.resolve("/l") == "/x/\udcff"
    assert disk.is_dir("/x") and not disk.is_dir("/x-y") and not disk.is_dir("/x/a")


def _image(tmp_path: Path) -> Path:
    """The SBOM tests' image (dpkg, wheels, npm) plus a layer of everything the overlay and the
    checks care about: a secret later deleted, links, an opaque directory, odd names, setuid."""
    spec = sample_spec()
    spec.layers.append([
        d("srv"), d("srv/cfg"), f("srv/cfg/old.env", f"GITHUB_TOKEN={TOKEN}\n"), f("srv/cfg/keep", "k"),
        f("srv/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n"),
        d("srv/a b"), f("srv/a b/c", "1"), f("srv/a-b", "2"), d("srv/a"), f("srv/a/z", "3"),
        f("usr/bin/tool", "\x7fELF", mode=0o4755), d("tmp2", mode=0o777),
        sym("srv/link", "/srv/cfg/keep"), hard("srv/hard", "srv/a-b"), f("etc/app.conf", f"token: {TOKEN}\n"),
    ])
    spec.layers.append([
        d("srv"), f("srv/.wh.id_rsa"), d("srv/cfg"), f("srv/cfg/.wh..wh..opq"), f("srv/cfg/new", "n"),
        f("srv/a-b", "replaced"),
    ])
    spec.history = [{"created_by": f"RUN step {i}"} for i in range(len(spec.layers))]
    return oci_layout(tmp_path / "img", {"1.0": spec})


def test_forced_spill_gives_the_same_output(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    ref = f"oci:{_image(tmp_path)}:1.0"
    commands = [
        ("image", "ls", ref),
        ("image", "ls", ref, "--all-layers", "--format", "json"),
        ("sbom", ref, "-f", "json"),
        ("sbom", ref, "-f", "cyclonedx-json"),
        ("scan", ref, "--scanners", "secret,config", "--format", "json"),
    ]

    def outputs(cache: Path, spill: str, only: slice = slice(None)) -> list[str]:
        env = {"HULLCHECK_CACHE_DIR": str(cache), "HULLCHECK_SPILL_FILES": spill}
        out = []
        for cmd in commands[only]:
            r = run_cli(*cmd, env=env)
            assert r.returncode in (0, 1), (cmd, r.stderr)
            out.append(_VOLATILE.sub("<volatile>", r.stdout))
        return out

    memory = outputs(tmp_path / "c-mem", "1000000")
    assert "/srv/a b/c" in memory[0] and TOKEN not in "".join(memory)  # secrets are masked
    # the token's file is hidden by the opaque directory, and still found in its layer
    assert "/srv/cfg/old.env" not in memory[0] and "/srv/cfg/old.env" in memory[1]
    assert "/srv/cfg/old.env" in memory[4] and json.loads(memory[4])
    assert all(name in memory[2] for name, *_ in [*DPKG_ADDED, *PYTHON, *NPM])
    spilled_cold = outputs(tmp_path / "c-spill", "0")
    assert spilled_cold == memory
    # The layer cache of the spilled run holds the records by chunks after the document ...
    entries = list((tmp_path / "c-spill" / "layers").glob("*.json"))
    heads = [json.loads(p.read_bytes().split(b"\n", 1)[0]) for p in entries]
    assert len(heads) >= len(sample_spec().layers) + 2  # each layer, once per analyzer set
    assert all(h["format"] == FORMAT and h["chunked"] and h["count"][0] > 0 for h in heads)
    assert any(h["count"][1] and h["count"][2] for h in heads)  # the layer with a whiteout and an opaque dir
    # ... and a warm run reads them back (spilling again) to the same output.
    assert outputs(tmp_path / "c-spill", "0") == memory
    # A spilled cache entry read without spilling gives the same output too.
    assert outputs(tmp_path / "c-spill", "1000000", slice(1, 3)) == memory[1:3]


def test_spilled_layer_cache_round_trip(tmp_path: Path) -> None:
    ref = f"oci:{_image(tmp_path)}:1.0"
    img = open_image(ref, limits=Limits(spill_files=0))
    first = img.scan()
    assert all(s.files.spilled for s in first if len(s.files))
    again = open_image(ref, limits=Limits(spill_files=0)).scan()
    assert all(s.from_cache for s in again)
    assert [list(s.files) for s in again] == [list(s.files) for s in first]
    assert all(s.files.spilled for s in again if len(s.files))
    # a truncated entry (fewer records than its header says) is ignored, and read again
    for p in (cache_dir() / "layers").glob("*.json"):
        lines = p.read_bytes().split(b"\n")
        if len(lines) > 1:
            p.write_bytes(b"\n".join(lines[:-1]))
    third = open_image(ref, limits=Limits(spill_files=0)).scan()
    assert [list(s.files) for s in third] == [list(s.files) for s in first]
    assert not all(s.from_cache for s in third)


def test_spill_limits_and_cleanup_on_error(tmp_path: Path) -> None:
    """A hostile layer fails with its one-line error whether records spill or not, and no
    spill database survives it: nothing in the cache dir, no descriptor left open."""
    good = [d("ok")] + [f(f"ok/{i}", "x") for i in range(30)]
    img = ImageSpec(layers=[good, [f(f"bomb/{i}", "") for i in range(40)]])
    ref = f"oci:{oci_layout(tmp_path / 'img', {'x': img})}:x"
    gc.collect()
    before = _spill_fds()
    with pytest.raises(LimitExceededError, match="more than 35 entries"):
        open_image(ref, limits=Limits(spill_files=0, max_entries=35)).scan(use_cache=False)
    gc.collect()
    assert _spill_fds() == before
    tmp = cache_dir() / "tmp"
    assert not tmp.exists() or list(tmp.iterdir()) == []
    # a garbage layer after a good one: the image error, and again nothing left behind
    blob_dir = tmp_path / "img" / "blobs" / "sha256"
    layer = open_image(ref).metadata.layers[1]
    (blob_dir / layer.digest.split(":")[1]).write_bytes(b"\x1f\x8b" + b"\0" * 200)
    with pytest.raises(HullcheckError):
        open_image(ref, limits=Limits(spill_files=0)).scan(use_cache=False)
    gc.collect()
    assert _spill_fds() == before
    assert not tmp.exists() or list(tmp.iterdir()) == []


def test_a_scan_that_succeeds_frees_its_store(tmp_path: Path) -> None:
    ref = f"oci:{_image(tmp_path)}:1.0"
    gc.collect()
    before = _spill_fds()
    scans = open_image(ref, limits=Limits(spill_files=0)).scan(use_cache=False)
    view = SquashedView(scans)
    assert isinstance(view, SpilledView) and len(view) > 0
    (new,) = set(_spill_fds()) - set(before)
    assert new.startswith(str(cache_dir() / "tmp" / "files-"))  # under the cache dir, already unlinked
    del scans, view
    assert _spill_fds() == before  # freed at once (no reference cycle waits for the collector)


def test_an_unusable_cache_dir_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ref = f"oci:{_image(tmp_path)}:1.0"
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    monkeypatch.setenv("HULLCHECK_CACHE_DIR", str(not_a_dir))
    with pytest.raises(UsageError, match="cannot create a temporary file database under"):
        open_image(ref, limits=Limits(spill_files=0)).scan(use_cache=False)


def test_spill_threshold_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HULLCHECK_SPILL_FILES", "1234")
    assert Limits.from_env().spill_files == 1234
    monkeypatch.delenv("HULLCHECK_SPILL_FILES")
    assert Limits.from_env().spill_files == Limits().spill_files
