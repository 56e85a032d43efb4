"""Pure data: frozen dataclasses with no I/O, shared by every stage."""

from hullcheck.model.image import ImageMetadata, ImageRef, LayerInfo, Platform, Transport
from hullcheck.model.package import Distro, Location, Package, PackageType, Unknown

__all__ = [
    "Distro",
    "ImageMetadata",
    "ImageRef",
    "LayerInfo",
    "Location",
    "Package",
    "PackageType",
    "Platform",
    "Transport",
    "Unknown",
]
