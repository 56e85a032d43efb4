"""All secret findings of an image: file findings from every layer scan, plus the config."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from hullcheck.image.filesystem import SquashedView
from hullcheck.image.walk import LayerScan
from hullcheck.model import ImageMetadata
from hullcheck.model.checks import SecretFinding
from hullcheck.secrets.config import scan_image_config
from hullcheck.secrets.rules import RuleSet
from hullcheck.secrets.scanner import DEFAULT_SETTINGS, ScanSettings


def collect_secrets(
    scans: Sequence[LayerScan],
    metadata: ImageMetadata | None = None,
    *,
    ruleset: RuleSet | None = None,
    settings: ScanSettings = DEFAULT_SETTINGS,
    view: SquashedView | None = None,
) -> list[SecretFinding]:
    """File findings (``secret-scanner`` artifacts) of every layer, then config findings.

    Every layer's copy of a secret is reported, with that layer's index: a key copied in one
    layer and deleted in the next is still in the image, and pulling the image gets both copies.
    ``deleted`` is set when the squashed filesystem no longer shows that layer's file (a later
    layer deleted or replaced it). Within one file each secret is reported once (the scanner
    de-duplicates); a secret repeated in the same layer's same file by two artifacts is dropped.
    ``ruleset``/``settings`` apply to the config scan; file findings come from the analyzer's own.
    """
    if view is None:
        view = SquashedView(scans)  # callers that already built it pass it in
    files: list[SecretFinding] = []
    seen: set[tuple[int, str, str, int | None, str]] = set()
    for scan in scans:
        for art in scan.artifacts:
            if not art.secrets:
                continue
            visible = scan.diff_id is None or view.layer_of(art.path) == scan.index
            for s in art.secrets:
                ident = (scan.index, s.path, s.rule_id, s.line, s.match)
                if ident in seen:
                    continue
                seen.add(ident)
                files.append(dataclasses.replace(s, layer_index=scan.index, deleted=not visible))
    files.sort(key=lambda f: (f.layer_index or 0, f.path, f.line or 0, f.rule_id))
    if metadata is None:
        return files
    return files + scan_image_config(metadata, ruleset, settings)
