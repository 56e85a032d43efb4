"""Which layers came from the base image, and what rebuilding on a current base would fix.

Only what the image and the advisories tell:

- the split between base and application layers comes from the history: a buildah/podman
  ``FROM <ref>`` comment marks where the final stage starts; else the last ``CMD``/``ENTRYPOINT``
  entry that more layers follow is the base image's own (Debian, Ubuntu and Alpine images end in
  ``CMD``, and a Dockerfile built on them adds layers after it). Without either, the layer that
  introduced the distro's packages is taken as the base, and the summary says it guessed;
- the base is named by the ``org.opencontainers.image.base.name`` label (BuildKit and buildah
  set it on request), else by that ``FROM`` comment, else by the distro release (``Debian 12``);
- a base-layer finding counts as "fixed in the release" only when it is a package of the image's
  distro release whose advisory for that release (the package's ecosystem, e.g. ``Debian:12``)
  gives a fixed version: updating the release's packages, which a rebuilt base does, removes it.
  Language packages that came with the base are counted, never promised away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hullcheck.imagecheck.context import parse_instruction
from hullcheck.imagecheck.runtime import BASE_DIGEST, BASE_NAME
from hullcheck.model import Distro, ImageMetadata, Package, PackageType
from hullcheck.model.finding import Finding, FixState

OS_TYPES = frozenset({PackageType.DEB, PackageType.APK, PackageType.RPM})

# how the split was found (values appear in the JSON report)
BY_FROM_COMMENT = "history-from-comment"
BY_BASE_CMD = "history-base-cmd"
BY_OS_PACKAGES = "os-packages-layer"


@dataclass(frozen=True)
class LayerSplit:
    """Layers ``0 .. base_layers-1`` are the base image's; the rest are the application's."""

    base_layers: int = 0
    method: str = ""  # BY_* above, "" when no base was recognised
    name: str = ""  # the base image reference, when the image names it
    name_source: str = ""  # e.g. "label org.opencontainers.image.base.name"

    def is_base(self, layer: int | None) -> bool:
        return layer is not None and layer < self.base_layers


@dataclass(frozen=True)
class BaseSummary:
    split: LayerSplit
    release: str  # the distro release, e.g. "Debian 12" ("" when none was detected)
    base_findings: int  # remaining vulnerabilities in packages the base layers introduced
    fixed_in_release: int  # of those: distro packages with a fixed version in the same release
    fixed_packages: tuple[str, ...]  # those packages' names, sorted
    app_findings: int
    line: str  # one sentence for people ("" when there is nothing to say)


def _base_name(meta: ImageMetadata) -> tuple[str, str]:
    labels = meta.label_map
    name = labels.get(BASE_NAME, "").strip()
    if name:
        digest = labels.get(BASE_DIGEST, "").strip()
        return (f"{name}@{digest}" if digest and "@" not in name else name)[:512], f"label {BASE_NAME}"
    for i in range(len(meta.history) - 1, -1, -1):
        comment = meta.history[i].comment.strip()
        if comment.startswith("FROM ") and len(comment.split()) > 1:
            return comment.split()[1][:512], f"history[{i}] comment"
    return "", ""


def _layers_before(meta: ImageMetadata, entry: int) -> int:
    """How many layers the history entries before ``entry`` produced."""
    found = [h.layer_index for h in meta.history[:entry] if h.layer_index is not None]
    return max(found) + 1 if found else 0


def _has_layer_after(meta: ImageMetadata, entry: int) -> bool:
    return any(h.layer_index is not None for h in meta.history[entry + 1:])


def _split_from_history(meta: ImageMetadata) -> tuple[int, str]:
    hist = meta.history
    for i in range(len(hist) - 1, 0, -1):
        if hist[i].comment.strip().startswith("FROM "):
            n = _layers_before(meta, i)
            if n:
                return n, BY_FROM_COMMENT
    for i in range(len(hist) - 1, 0, -1):
        h = hist[i]
        if h.layer_index is not None or not _has_layer_after(meta, i):
            continue
        if parse_instruction(i, h.created_by).keyword in ("CMD", "ENTRYPOINT"):
            n = _layers_before(meta, i)
            if n:
                return n, BY_BASE_CMD
    return 0, ""


def split_layers(meta: ImageMetadata | None, packages: Sequence[Package]) -> LayerSplit:
    if meta is None or not meta.layers:
        return LayerSplit()
    name, source = _base_name(meta)
    n, method = _split_from_history(meta)
    if not n:
        os_layers = [p.layer_index for p in packages if p.type in OS_TYPES and p.layer_index is not None]
        if os_layers:
            n, method = min(os_layers) + 1, BY_OS_PACKAGES
    return LayerSplit(min(n, len(meta.layers)), method, name, source)


def release_name(distro: Distro | None) -> str:
    """``Debian 12``, ``Alpine v3.20``, ``Ubuntu 22.04``: the OSV ecosystem read as words."""
    if distro is None:
        return ""
    if distro.ecosystem:
        parts = distro.ecosystem.split(":")
        return " ".join(parts[:2])
    return " ".join(x for x in (distro.id.capitalize(), distro.version_id) if x)


def fixed_in_release(f: Finding, distro: Distro | None) -> bool:
    """A distro package of the image's release whose advisory names a fixed version."""
    p = f.package
    return (p.type in OS_TYPES and distro is not None and bool(distro.ecosystem)
            and p.ecosystem == distro.ecosystem and f.fix_state is FixState.FIXED and bool(f.fixed_versions))


def summarize(meta: ImageMetadata | None, distro: Distro | None, packages: Sequence[Package],
              findings: Sequence[Finding]) -> BaseSummary:
    split = split_layers(meta, packages)
    release = release_name(distro)
    base = [f for f in findings if split.is_base(f.package.layer_index)]
    fixed = [f for f in base if fixed_in_release(f, distro)]
    pkgs = tuple(sorted({f.package.name for f in fixed}))
    return BaseSummary(split, release, len(base), len(fixed), pkgs, len(findings) - len(base),
                       _line(split, release, len(base), len(fixed)))


def _line(split: LayerSplit, release: str, total: int, fixed: int) -> str:
    if not split.base_layers:
        return ""
    layers = "layer 0" if split.base_layers == 1 else f"layers 0-{split.base_layers - 1}"
    said = []
    if split.name:
        said.append(f"{split.name} per {split.name_source}")
    elif release:
        said.append(release)
    if split.method == BY_OS_PACKAGES:
        said.append("guessed: the first layer with distro packages")
    head = f"Base image ({layers}{', ' + '; '.join(said) if said else ''})"
    if not total:
        return f"{head}: no vulnerabilities found in its packages."
    noun = "finding" if total == 1 else "findings"
    if not fixed:
        return f"{head}: {total} {noun}, none with a fixed package in {release or 'its release'} yet."
    target = f"a current {split.name.split('@')[0]}" if split.name else f"an updated {release} base"
    are, them = ("is", "it") if fixed == 1 else ("are", "them")
    return (f"{head}: {fixed} of {total} {noun} {are} fixed in newer {release} packages; "
            f"rebuilding on {target} (or upgrading its packages) should remove {them}.")
