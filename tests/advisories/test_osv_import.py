"""OSV records imported from the real feeds, checked record by record against their files."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from hullcheck.advisories.names import normalize_name
from hullcheck.advisories.store import AdvisoryStore
from tests.advisories.conftest import every_nth, read_record


def _expected_entries(rec: dict[str, Any]) -> list[dict[str, Any]]:
    """The affected entries as stored: ``versions: null`` is read as absent (the one tolerated
    deviation, see osv.py)."""
    out = []
    for a in rec.get("affected") or []:
        a = dict(a)
        if "versions" in a and a["versions"] is None:
            del a["versions"]
        out.append(a)
    return out


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def assert_stored_like_file(
    store: AdvisoryStore, rec: dict[str, Any], origin: str, *, same_time_text: bool = True
) -> None:
    got = store.get(rec["id"])
    assert got is not None, f"{rec['id']} from {origin} not stored"
    if same_time_text:
        assert got.modified == rec["modified"]
    else:
        assert _t(got.modified) == _t(rec["modified"])
    assert list(got.aliases) == list(dict.fromkeys(rec.get("aliases") or []))
    assert list(got.related) == (rec.get("related") or [])
    assert got.summary == (rec.get("summary") or "")
    assert got.details == (rec.get("details") or "")
    assert got.withdrawn == (rec.get("withdrawn") or "")
    if same_time_text or not rec.get("published"):
        assert got.published == (rec.get("published") or "")
    else:
        assert _t(got.published) == _t(rec["published"])
    assert [dict(r) for r in got.references] == (rec.get("references") or [])
    expected = _expected_entries(rec)
    assert [dict(a.affected) for a in got.affected] == expected
    for entry in expected:
        if "package" not in entry:
            continue  # GIT-only: kept, found by id, not by package
        eco, name = entry["package"]["ecosystem"], entry["package"]["name"]
        hits = store.lookup(eco, name, include_withdrawn=True)
        assert any(h.advisory_id == rec["id"] and dict(h.affected) == entry for h in hits), (
            f"lookup({eco!r}, {name!r}) misses {rec['id']}"
        )
        if not rec.get("withdrawn"):
            assert any(h.advisory_id == rec["id"] for h in store.lookup(eco, name))


def _check_dir(build, files: list[Path]) -> None:
    store, report = build(*files)
    assert report.malformed == 0, report.sources
    assert report.records == len(files)
    for f in files:
        assert_stored_like_file(store, read_record(f), str(f))


def test_go_vulndb_records(build, adv: Path) -> None:
    _check_dir(build, every_nth(list((adv / "osv/go-vulndb/data/osv").glob("*.json")), 25))


def test_rustsec_records(build, adv: Path) -> None:
    _check_dir(build, every_nth(list((adv / "osv/rustsec-osv/crates").glob("*.json")), 10))


def test_almalinux_records(build, adv: Path) -> None:
    _check_dir(
        build, every_nth(list((adv / "distro/almalinux-osv/advisories").glob("*/*.json")), 40)
    )


def test_ghsa_subset_including_the_quirk_record(build, adv: Path) -> None:
    files = sorted((adv / "osv/ghsa-subset").glob("*.json"))
    _check_dir(build, files)
    # The real-world quirk: a "fixed" event whose value is a constraint, not a version. It is
    # stored verbatim; the matcher decides what a non-version event means.
    quirk = [f for f in files if '">= 3.21.0"' in f.read_text() or '">= 3.21.0' in f.read_text()]
    assert quirk, "the ghsa-subset quirk record is expected in the shared data"
    store, _ = build(*quirk)
    rec = json.loads(quirk[0].read_text())
    stored = store.get(rec["id"])
    assert stored is not None
    events = [e for a in stored.affected for r in a.affected.get("ranges", []) for e in r["events"]]
    assert {"fixed": ">= 3.21.0"} in events


def test_peer_testdata_records_and_malformed_ones(build, adv: Path) -> None:
    """All 507 peer records: valid ones stored as they are; the rejected ones are exactly those
    with a range the store cannot use, and every rejection is a record the schema rejects too."""
    d = adv / "osv/osv-records-from-peer-testdata"
    files = sorted(d.glob("*.json"))
    store, report = build(*files)
    problems = dict(p for s in report.sources.values() for p in s.problems)
    invalid = _schema_invalid(adv)
    unusable = set()
    for f in files:
        rec = json.loads(f.read_text())
        ranges = [r for a in rec.get("affected") or [] for r in a.get("ranges") or []]
        if any(r.get("type") not in ("SEMVER", "ECOSYSTEM", "GIT") for r in ranges) or any(
            not any("introduced" in e for e in r.get("events") or []) for r in ranges
        ):
            unusable.add(str(f))
    assert set(problems) == unusable
    assert unusable, "the peer data holds a real record with a typeless range"
    for f in unusable:
        assert "osv-records-from-peer-testdata/" + Path(f).name in invalid
    for f in files:
        if str(f) not in unusable:
            assert_stored_like_file(store, json.loads(f.read_text()), str(f))


def listed_path(adv: Path, listed: str) -> Path:
    """Paths in index.jsonl / schema_validation.tsv are relative to osv/; AlmaLinux's are written
    as ../distro-advisories/..., which is distro/ in this tree."""
    prefix = "../distro-advisories/"
    if listed.startswith(prefix):
        return adv / "distro" / listed[len(prefix) :]
    return adv / "osv" / listed


def _schema_invalid(adv: Path) -> dict[str, str]:
    out = {}
    for line in (adv / "osv/schema_validation.tsv").read_text().splitlines()[1:]:
        path, valid, err = [*line.split("\t"), "", ""][:3]
        if valid == "false":
            out[path] = err
    return out


# The schema's complaints the store tolerates, each for a stated reason.
_TOLERATED = re.compile(
    # non-canonical ecosystems: stored, matched by nobody
    r"ecosystem: '.*' does not match"
    # CVSS text the schema's regex refuses: stored, and scored when the cvss library can
    r"|severity/\d+/score: .* does not match"
    # versions: null is read as absent
    r"|versions: None is not of type"
    # short git hashes in GIT ranges: kept, not matched
    r"|events/\d+: \{'fixed': '.*'\} is not valid"
)


def test_schema_invalid_records_are_rejected_only_for_structural_reasons(build, adv: Path) -> None:
    invalid = _schema_invalid(adv)
    osv_root = adv / "osv"
    files = [osv_root / p for p in invalid]
    store, report = build(*files)
    rejected = {
        Path(w).relative_to(osv_root).as_posix()
        for s in report.sources.values()
        for w, _ in s.problems
    }
    for path, err in invalid.items():
        rec = read_record(osv_root / path)
        if path in rejected:
            continue
        assert _TOLERATED.search(err), f"{path} accepted although the schema says: {err}"
        assert store.get(rec["id"]) is not None
    # Two are rejected: the typeless range (whose first schema error is its ecosystem) and the
    # linter's deliberately broken sample without an introduced event.
    assert {Path(p).name for p in rejected} == {
        "CVE-2023-2727.json",
        "nointroduced-CVE-2023-41045.json",
    }


def test_schema_valid_records_are_never_rejected(build, adv: Path) -> None:
    tsv = (adv / "osv/schema_validation.tsv").read_text().splitlines()[1:]
    valid = [listed_path(adv, r[0]) for r in (line.split("\t") for line in tsv) if r[1] == "true"]
    sample = every_nth(valid, 60)
    assert all(p.exists() for p in sample)
    assert len(sample) > 300
    _, report = build(*sample)
    assert report.malformed == 0
    assert report.records == len(sample)


def test_pypa_yaml_equals_its_json_lines(build, adv: Path) -> None:
    """The YAML loader keeps versions as the text the JSON twin has, and timestamps as the text
    the YAML file has (the JSON twin re-formatted some: ``.03903Z`` became ``.039030Z``)."""
    jsonl = {}
    for line in (adv / "osv/pypa-advisory-database.as-json.jsonl").read_text().splitlines():
        rec = json.loads(line)
        jsonl[rec["id"]] = rec
    files = every_nth(list((adv / "osv/pypa-advisory-database/vulns").glob("*/*.yaml")), 15)
    store, report = build(*files)
    assert report.malformed == 0 and report.records == len(files)
    for f in files:
        assert_stored_like_file(store, jsonl[f.stem], str(f), same_time_text=False)
        raw = re.search(r"^modified: *['\"]?([^'\"\n]+)", f.read_text(), re.M)
        assert raw and store.get(f.stem).modified == raw.group(1)


def test_oss_fuzz_yaml_equals_its_json_lines(build, adv: Path) -> None:
    jsonl = {}
    for line in (adv / "osv/oss-fuzz-vulns.as-json.jsonl").read_text().splitlines():
        rec = json.loads(line)
        jsonl[rec["id"]] = rec
    files = every_nth(list((adv / "osv/oss-fuzz-vulns/vulns").glob("*/*.yaml")), 40)
    store, _ = build(*files)
    for f in files:
        assert_stored_like_file(store, jsonl[f.stem], str(f), same_time_text=False)


def test_json_lines_file_and_duplicates(build, adv: Path) -> None:
    """The PyPA JSON lines file imports every line; importing YAML and JSON lines of the same
    records keeps one copy of each and counts the second as a duplicate."""
    jsonl = adv / "osv/pypa-advisory-database.as-json.jsonl"
    lines = jsonl.read_text().splitlines()
    ids = {json.loads(x)["id"] for x in lines}
    yaml_files = every_nth(list((adv / "osv/pypa-advisory-database/vulns").glob("*/*.yaml")), 50)
    store, report = build(jsonl, *yaml_files)
    assert report.records == len(lines) + len(yaml_files)
    assert report.duplicates == len(yaml_files)
    assert set(store.ids()) == ids


def test_all_zip_archive(build, adv: Path, tmp_path: Path) -> None:
    """The per-ecosystem archive layout (one JSON per record in all.zip), including a damaged
    member, which is counted and skipped while the rest imports."""
    files = every_nth(list((adv / "osv/go-vulndb/data/osv").glob("*.json")), 100)
    z = tmp_path / "Go" / "all.zip"
    z.parent.mkdir()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, f.name)
        zf.writestr("GO-BROKEN.json", files[0].read_bytes()[:-40])
    store, report = build(z)
    assert report.records == len(files)
    assert report.malformed == 1
    for f in files:
        assert_stored_like_file(store, json.loads(f.read_text()), f.name)


def test_not_a_zip_is_counted_not_fatal(build, adv: Path, tmp_path: Path) -> None:
    bad = tmp_path / "all.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    good = adv / "osv/ghsa-subset"
    store, report = build(bad, good)
    assert report.malformed == 1
    assert len(store.ids()) == 3


def test_hostile_records_are_counted(build, tmp_path: Path) -> None:
    d = tmp_path / "feed"
    d.mkdir()
    cases = {
        "deep.json": "[" * 100000 + "]" * 100000,
        "notobj.json": '{"id": "X-1", "modified": "2024-01-01T00:00:00Z", "affected": 5}',
        "badevent.json": json.dumps(
            {
                "id": "X-2",
                "modified": "2024-01-01T00:00:00Z",
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": "a"},
                        "ranges": [
                            {"type": "ECOSYSTEM", "events": [{"introduced": "0", "fixed": "1"}]}
                        ],
                    }
                ],
            }
        ),
        "noname.json": json.dumps(
            {
                "id": "X-3",
                "modified": "2024-01-01T00:00:00Z",
                "affected": [{"package": {"ecosystem": "PyPI"}}],
            }
        ),
        "badyaml.yaml": "id: X-4\nmodified: [unclosed\n",
        "bin.json": "\x00\xff\xfe garbage",
        "good.json": json.dumps(
            {
                "id": "X-5",
                "modified": "2024-01-01T00:00:00Z",
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": "Zope.Interface"},
                        "ranges": [
                            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1"}]}
                        ],
                    }
                ],
            }
        ),
    }
    for name, text in cases.items():
        (d / name).write_text(text, encoding="latin-1")
    store, report = build(d)
    assert report.records == 1
    assert report.malformed == len(cases) - 1
    # PEP 503: any spelling finds it
    for spelling in ("zope.interface", "ZOPE_INTERFACE", "zope-interface"):
        assert [r.advisory_id for r in store.lookup("PyPI", spelling)] == ["X-5"]
    assert normalize_name("PyPI", "Zope.Interface") == "zope-interface"


def test_yaml_alias_bomb_is_refused(build, tmp_path: Path) -> None:
    lines = [
        "id: X-9",
        "modified: '2024-01-01T00:00:00Z'",
        "database_specific:",
        "  a0: &a0 [x, x, x, x, x, x, x, x, x, x]",
    ]
    for i in range(1, 9):
        lines.append(f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")
    store, report = build(tmp_path / "bomb.yaml")
    assert report.malformed == 1 and store.ids() == []


def test_damaged_zip_members(build, adv: Path, tmp_path: Path) -> None:
    """Corrupt compressed data and an unsupported compression method: each member counted as
    malformed, the intact ones imported."""
    files = sorted((adv / "osv/ghsa-subset").glob("*.json"))
    z = tmp_path / "all.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, f.name)
    data = bytearray(z.read_bytes())
    with zipfile.ZipFile(z) as zf:
        infos = zf.infolist()
    # member 0: flip bytes inside its compressed data; member 1: claim compression method 99
    off0 = infos[0].header_offset + 30 + len(infos[0].filename)
    data[off0 + 10 : off0 + 40] = bytes(b ^ 0x5A for b in data[off0 + 10 : off0 + 40])
    off1 = infos[1].header_offset
    data[off1 + 8 : off1 + 10] = (99).to_bytes(2, "little")
    for pos in [i for i in range(len(data)) if data[i : i + 4] == b"PK\x01\x02"]:
        name_len = int.from_bytes(data[pos + 28 : pos + 30], "little")
        if data[pos + 46 : pos + 46 + name_len].decode() == infos[1].filename:
            data[pos + 10 : pos + 12] = (99).to_bytes(2, "little")
    z.write_bytes(bytes(data))
    store, report = build(z)
    assert report.malformed == 2
    assert store.ids() == [json.loads(files[2].read_text())["id"]]


def test_git_only_entries_are_kept(build, adv: Path) -> None:
    f = adv / "osv/osv-schema/tools/osv-linter/testdata/CVE-2018-5407.json"
    rec = json.loads(f.read_text())
    assert any("package" not in a for a in rec["affected"])
    store, report = build(f)
    assert report.malformed == 0
    assert_stored_like_file(store, rec, str(f))
    git = [a for a in store.get(rec["id"]).affected if a.ecosystem == ""]
    assert [dict(a.affected) for a in git] == [a for a in rec["affected"] if "package" not in a]
    assert all(r["type"] == "GIT" for a in git for r in a.affected["ranges"])
