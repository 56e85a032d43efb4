"""Broken and hostile SBOMs: a one-line ImageError or skipped components, never a traceback."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullcheck.catalog.runner import Catalog
from hullcheck.errors import ImageError
from hullcheck.format import WRITERS, read_sbom, read_sbom_doc, render
from hullcheck.format import common as format_common
from hullcheck.model import ImageMetadata, LayerInfo, Platform

from .catalogs import sample_catalog

META = ImageMetadata(
    ref="oci:/x", platform=Platform(), manifest_digest="sha256:" + "a" * 64, config_digest="sha256:" + "b" * 64,
    layers=tuple(LayerInfo(index=i, digest=f"sha256:{i}", diff_id=f"sha256:d{i}", media_type="m", size=1,
                           created_by=f"RUN {i}") for i in range(3)),
)
DOCS = {fmt: json.loads(render(fmt, META, sample_catalog(META))) for fmt in WRITERS}


@pytest.mark.parametrize("content", [b"", b"{", b"\xff\xfe\x00", b"[1,2]", b'"text"', b"null", b"{}",
                                     b'{"bomFormat": "Other"}', b'{"spdxVersion": "SPDX-3.0"}'])
def test_not_an_sbom(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "x.json"
    p.write_bytes(content)
    with pytest.raises(ImageError) as e:
        read_sbom(p)
    assert "\n" not in e.value.diagnostics()


def test_deep_nesting(tmp_path: Path) -> None:
    p = tmp_path / "deep.json"
    p.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ImageError, match="not valid JSON"):
        read_sbom(p)
    # nested CycloneDX components are followed to a bounded depth, without recursion errors
    comp: dict[str, Any] = {"type": "library", "name": "leaf", "version": "1", "purl": "pkg:npm/leaf@1"}
    for _ in range(500):
        comp = {"type": "library", "name": "x", "components": [comp]}
    doc = read_sbom_doc({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [comp]})
    assert "leaf" not in {p.name for p in doc.catalog.packages}


def test_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "big.json"
    p.write_text(json.dumps(DOCS["json"]))
    monkeypatch.setattr(format_common, "MAX_SBOM_BYTES", 100)
    with pytest.raises(ImageError, match="larger than the limit"):
        read_sbom(p)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="cannot read SBOM"):
        read_sbom(tmp_path / "absent.json")


def test_wrong_types_in_own_json() -> None:
    bad = json.loads(json.dumps(DOCS["json"]))
    bad["packages"][0]["type"] = "nonsense"
    with pytest.raises(ImageError, match=r"packages\[0\]\.type"):
        read_sbom_doc(bad)
    bad = json.loads(json.dumps(DOCS["json"]))
    bad["packages"][1]["locations"] = [{"path": 5}]
    with pytest.raises(ImageError, match=r"packages\[1\]\.locations\[0\]"):
        read_sbom_doc(bad)
    bad = json.loads(json.dumps(DOCS["json"]))
    bad["distro"]["id_like"] = [1]
    with pytest.raises(ImageError, match=r"distro\.id_like"):
        read_sbom_doc(bad)
    bad = json.loads(json.dumps(DOCS["json"]))
    bad["schema"] = "hullcheck.sbom/v9"
    with pytest.raises(ImageError, match="unsupported hullcheck SBOM schema"):
        read_sbom_doc(bad)


def _mutate(obj: Any, rnd: random.Random, junk: list[Any]) -> Any:
    """Replace a random node of ``obj`` by junk (a wrong type, a huge number, a deep list)."""
    if isinstance(obj, dict) and obj:
        key = rnd.choice(list(obj))
        obj[key] = rnd.choice(junk) if rnd.random() < 0.3 else _mutate(obj[key], rnd, junk)
    elif isinstance(obj, list) and obj:
        i = rnd.randrange(len(obj))
        obj[i] = rnd.choice(junk) if rnd.random() < 0.3 else _mutate(obj[i], rnd, junk)
    else:
        return rnd.choice(junk)
    return obj


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), fmt=st.sampled_from(list(WRITERS)))
def test_mutated_documents(seed: int, fmt: str) -> None:
    rnd = random.Random(seed)
    junk: list[Any] = [None, 0, -1, 10**30, True, "", "x" * 10, [], {}, [[[]]], {"a": {}}, "pkg:???", 1.5,
                       "sha256:zz", "LicenseRef-", "hullcheck.package/v1 {", "hullcheck.package/v1 []"]
    doc = json.loads(json.dumps(DOCS[fmt]))
    for _ in range(rnd.randint(1, 4)):
        doc = _mutate(doc, rnd, junk)
    try:
        out = read_sbom_doc(doc)
    except ImageError as e:
        assert "\n" not in e.diagnostics()
        return
    assert isinstance(out.catalog, Catalog)
    for p in out.catalog.packages:  # whatever was kept is well-typed
        assert isinstance(p.name, str) and isinstance(p.version, str)
        assert all(isinstance(loc.path, str) for loc in p.locations)
        assert p.layer_index is None or isinstance(p.layer_index, int)
        assert all(isinstance(x, str) for x in p.licenses)
