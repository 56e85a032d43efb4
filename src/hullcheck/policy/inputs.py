"""What ``hullcheck check`` reads: files and directories -> Kubernetes workloads, compose services (and
``docker inspect`` containers), Dockerfiles."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hullcheck.model.violation import ResourceRef
from hullcheck.policy.azure import MAX_TF_BYTES, AzureResource, arm_resources, is_arm_template, terraform_resources
from hullcheck.policy.compose import Service, containers_from_inspect, is_compose, is_docker_inspect, services_in
from hullcheck.policy.dockerfile import Dockerfile, is_dockerfile_name, parse_dockerfile
from hullcheck.policy.host import DOCKER_SOCKETS, ROOT_FILES, HostFile, host_file_kind, load_host_file, socket_file
from hullcheck.policy.host import MAX_BYTES as MAX_HOST_BYTES
from hullcheck.policy.manifests import ManifestError, Workload, load_file, workloads_in

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json", ".tf")
MAX_FILES = 100_000
MAX_DOCKERFILE_BYTES = 4 * 1024 * 1024
PARALLEL_MIN_BYTES = 4 * 1024 * 1024  # below this, starting worker processes costs more than it saves


@dataclass(frozen=True)
class Inputs:
    workloads: tuple[Workload, ...] = ()
    services: tuple[Service, ...] = ()
    dockerfiles: tuple[Dockerfile, ...] = ()
    host_files: tuple[HostFile, ...] = ()
    azure: tuple[AzureResource, ...] = ()


def _wanted(name: str) -> bool:
    return name.endswith(MANIFEST_SUFFIXES) or is_dockerfile_name(name) or host_file_kind(name) is not None


def iter_input_files(paths: list[Path]) -> Iterator[Path]:
    """Files named on the command line, and manifests/Dockerfiles found under named directories (sorted,
    hidden directories skipped)."""
    count = 0
    for p in paths:
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if _wanted(f):
                        count += 1
                        if count > MAX_FILES:
                            raise ManifestError(f"{p}: more than {MAX_FILES} input files")
                        yield Path(root) / f
        elif p.is_file():
            yield p
        else:
            raise ManifestError(f"{p}: no such file or directory")


def _read_text(path: Path, limit: int, what: str) -> str:
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as e:
        raise ManifestError(f"{path}: cannot read: {e.strerror or e}") from e
    if len(data) > limit:
        raise ManifestError(f"{path}: {what} larger than {limit} bytes")
    return data.decode("utf-8", errors="replace")


def load_one(path: Path) -> Inputs:
    host_kind = host_file_kind(path.name)
    if host_kind is not None:
        try:
            text = _read_text(path, MAX_HOST_BYTES, "file")
            return Inputs(host_files=(load_host_file(host_kind, str(path), text),))
        except ValueError as e:
            raise ManifestError(f"{path}: {e}") from e
    if path.name.endswith(".tf"):
        try:
            return Inputs(azure=tuple(terraform_resources(_read_text(path, MAX_TF_BYTES, "file"), str(path))))
        except ValueError as e:
            raise ManifestError(f"{path}: {e}") from e
    if is_dockerfile_name(path.name):
        text = _read_text(path, MAX_DOCKERFILE_BYTES, "Dockerfile")
        try:
            instructions = parse_dockerfile(text)
        except ValueError as e:
            raise ManifestError(f"{path}: {e}") from e
        return Inputs(dockerfiles=(Dockerfile(ResourceRef("Dockerfile", str(path), "", str(path)),
                                              tuple(instructions)),))
    workloads: list[Workload] = []
    services: list[Service] = []
    azure: list[AzureResource] = []
    for i, doc in enumerate(load_file(path)):
        if is_compose(doc):
            services.extend(services_in(doc, str(path), i))
        elif is_docker_inspect(doc):
            services.extend(containers_from_inspect(doc, str(path), i))
        elif is_arm_template(doc):
            azure.extend(arm_resources(doc, str(path), i))
        else:
            workloads.extend(workloads_in(doc, str(path), i))
    return Inputs(tuple(workloads), tuple(services), azure=tuple(azure))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def load_inputs(paths: list[Path], jobs: int | None = None) -> Inputs:
    """Everything checkable under ``paths``, in file order. Large inputs are parsed in worker processes:
    libyaml's event stream is the bottleneck and is CPU-bound Python, so threads would not help."""
    files = list(iter_input_files(paths))
    jobs = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    if jobs > 1 and len(files) > 1 and sum(_size(f) for f in files) >= PARALLEL_MIN_BYTES:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            parts = list(pool.map(load_one, files, chunksize=max(1, len(files) // (jobs * 4))))
    else:
        parts = [load_one(f) for f in files]
    return merge(*parts)


def load_root(root: Path) -> Inputs:
    """Host files of a mounted root filesystem: daemon.json, sshd_config and the Docker socket's permissions.
    Only these known paths are read (a root holds far too much to walk)."""
    if not root.is_dir():
        raise ManifestError(f"{root}: --root must be a directory")
    hosts: list[HostFile] = []
    for rel, kind in ROOT_FILES:
        p = root / rel
        if p.is_file() and not p.is_symlink():
            try:
                hosts.append(load_host_file(kind, str(p), _read_text(p, MAX_HOST_BYTES, "file")))
            except ValueError as e:
                raise ManifestError(f"{p}: {e}") from e
    for rel in DOCKER_SOCKETS:
        p = root / rel
        try:
            st = p.lstat()
        except OSError:
            continue
        if stat.S_ISSOCK(st.st_mode):
            hosts.append(socket_file(str(p), st.st_mode, st.st_uid, st.st_gid))
            break  # /var/run is usually a link to /run: one socket
    return Inputs(host_files=tuple(hosts))


def merge(*parts: Inputs) -> Inputs:
    return Inputs(
        tuple(w for p in parts for w in p.workloads),
        tuple(s for p in parts for s in p.services),
        tuple(d for p in parts for d in p.dockerfiles),
        tuple(h for p in parts for h in p.host_files),
        tuple(a for p in parts for a in p.azure),
    )
