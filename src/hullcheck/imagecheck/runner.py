"""Run the image-configuration checks: one call from image metadata and layer scans to findings."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence

from hullcheck.catalog.runner import Catalog
from hullcheck.image.filesystem import SquashedView
from hullcheck.image.walk import LayerScan
from hullcheck.imagecheck import envsecrets, files, history, packages, runtime
from hullcheck.imagecheck.context import CheckContext
from hullcheck.model import ImageMetadata
from hullcheck.model.checks import Misconfiguration

CheckFn = Callable[[CheckContext], Iterable[Misconfiguration]]

# Explicit registry: (the check id it produces, function, needs the image config).
# Config-based checks are skipped for a plain root filesystem, which has no config to judge.
CHECKS: tuple[tuple[str, CheckFn, bool], ...] = (
    ("HC-IMG-001", runtime.check_user, True),
    ("HC-IMG-002", runtime.check_healthcheck, True),
    ("HC-IMG-003", envsecrets.check_env, True),
    ("HC-IMG-004", envsecrets.check_history_secrets, True),
    ("HC-IMG-005", history.check_add_url, True),
    ("HC-IMG-006", history.check_pipe_to_shell, True),
    ("HC-IMG-007", files.check_setuid, False),
    ("HC-IMG-008", files.check_world_writable, False),
    ("HC-IMG-009", packages.check_caches, False),
    ("HC-IMG-010", packages.check_ssh_server, False),
    ("HC-IMG-011", runtime.check_ports, True),
    ("HC-IMG-012", runtime.check_base_pinned, True),
    ("HC-IMG-013", packages.check_sudo, False),
    ("HC-IMG-014", history.check_upgrade, True),
    ("HC-IMG-015", history.check_chmod, True),
    ("HC-IMG-016", files.check_deleted_secret_files, False),
    ("HC-IMG-017", runtime.check_provenance, True),
)


def run_checks(
    metadata: ImageMetadata,
    scans: Sequence[LayerScan],
    catalog: Catalog | None = None,
    *,
    skip: Collection[str] = (),
    view: SquashedView | None = None,
) -> list[Misconfiguration]:
    """Every failed check, most severe first (then by id and layer).

    ``catalog`` (the package catalog) lets the SSH-server and sudo checks name the package; without
    it they look for the binaries. ``skip`` holds check ids not to run.
    """
    ctx = CheckContext(metadata, scans, catalog.packages if catalog is not None else (), view=view)
    out: list[Misconfiguration] = []
    for check_id, fn, needs_config in CHECKS:
        if check_id in skip or (needs_config and not ctx.has_config):
            continue
        out.extend(fn(ctx))
    out.sort(key=lambda m: (-m.severity.rank, m.check_id, -1 if m.layer_index is None else m.layer_index))
    return out
