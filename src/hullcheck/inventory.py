"""Facade: from an image reference to its catalog (used by ``sbom``, ``scan`` and the service)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hullcheck.catalog.interface import Analyzer
from hullcheck.catalog.registry import default_analyzers
from hullcheck.catalog.runner import Catalog, build_catalog
from hullcheck.image.filesystem import SquashedView
from hullcheck.image.open import Image, open_image
from hullcheck.image.walk import LayerScan, Observer
from hullcheck.model import ImageMetadata, Platform


@dataclass
class Inventory:
    image: Image
    scans: list[LayerScan]
    catalog: Catalog
    view: SquashedView  # the squashed filesystem, built once for every later stage

    @property
    def metadata(self) -> ImageMetadata:
        return self.image.metadata


def inventory(
    ref: str,
    *,
    platform: Platform | None = None,
    analyzers: Sequence[Analyzer] | None = None,
    observer: Observer | None = None,
    registry_options: object = None,
) -> Inventory:
    # A registry image's layers are scanned as they download (the network and the cores
    # overlap), and a layer whose results are in the layer cache is not downloaded at all.
    with open_image(ref, platform=platform, registry_options=registry_options, stream_layers=True) as img:
        scans = img.scan(default_analyzers() if analyzers is None else analyzers, observer=observer)
    view = SquashedView(scans)
    return Inventory(image=img, scans=scans, catalog=build_catalog(scans, img.metadata, view), view=view)
