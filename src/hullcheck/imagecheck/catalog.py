"""The check catalog: every image-configuration check with its stable id and its texts.

Ids never change meaning once published (reports, ignore files and SARIF rules refer to them);
a retired check keeps its number. References point at CIS Docker Benchmark v1.6 section 4 items
where one applies (section 4 numbers checked against v1.6.0).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from hullcheck.model.checks import Misconfiguration
from hullcheck.model.finding import SeverityLevel

_CIS = "CIS Docker Benchmark v1.6.0"
_CIS_SSHD = "CIS Docker Benchmark, container runtime section: sshd is not run within containers"


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    severity: SeverityLevel  # the default; a finding may be lower (e.g. well-known setuid files)
    rationale: str
    remediation: str
    references: tuple[str, ...] = ()

    def finding(
        self,
        message: str,
        evidence: str = "",
        layer_index: int | None = None,
        severity: SeverityLevel | None = None,
    ) -> Misconfiguration:
        return Misconfiguration(
            check_id=self.id,
            title=self.title,
            severity=severity or self.severity,
            message=message,
            rationale=self.rationale,
            remediation=self.remediation,
            evidence=evidence,
            layer_index=layer_index,
            references=self.references,
        )


S = SeverityLevel

ROOT_USER = Check(
    "HC-IMG-001", "Image runs as root", S.MEDIUM,
    "A process running as uid 0 keeps root's privileges inside the container; any escape or"
    " writable host mount then happens with full privileges.",
    "Create an unprivileged user in the image and switch to it with `USER name` (or a numeric"
    " uid other than 0) before the entrypoint.",
    (f"{_CIS} 4.1",),
)
NO_HEALTHCHECK = Check(
    "HC-IMG-002", "No HEALTHCHECK", S.LOW,
    "Without a health check the runtime only knows whether the process exists, not whether it"
    " still serves; hung containers are never restarted or taken out of rotation.",
    "Add `HEALTHCHECK CMD ...` probing the service (or rely on the orchestrator's probes and"
    " ignore this check).",
    (f"{_CIS} 4.6",),
)
ENV_SECRET = Check(
    "HC-IMG-003", "Secret in an environment variable", S.HIGH,
    "ENV values are stored in clear text in the image config: anyone who can pull the image, and"
    " every process in the container, can read them.",
    "Pass secrets at run time (orchestrator secrets, mounted files) instead of baking them into"
    " the image with ENV.",
    (f"{_CIS} 4.10",),
)
BUILD_ARG_SECRET = Check(
    "HC-IMG-004", "Secret in a build argument or history instruction", S.HIGH,
    "Build arguments and ENV instructions are recorded in the image history, in clear text, even"
    " when the final environment no longer contains them.",
    "Use BuildKit secret mounts (`RUN --mount=type=secret,...`) instead of ARG/ENV for secrets,"
    " and rotate the exposed value.",
    (f"{_CIS} 4.10",),
)
ADD_URL = Check(
    "HC-IMG-005", "ADD from a remote URL", S.MEDIUM,
    "ADD fetches the URL at build time without verifying its content; a compromised or changed"
    " server silently changes the image.",
    "Download with a pinned checksum (`ADD --checksum=sha256:...` or `curl` followed by"
    " `sha256sum -c`), or COPY a vetted local file.",
    (f"{_CIS} 4.9",),
)
PIPE_TO_SHELL = Check(
    "HC-IMG-006", "Remote script piped into a shell", S.MEDIUM,
    "`curl ... | sh` runs whatever the server returns at build time, unverified; the build is"
    " neither reproducible nor protected against a compromised server.",
    "Download the script, verify its checksum or signature, then run it; better, install the"
    " software from a package repository.",
    (f"{_CIS} 4.11",),
)
SETUID = Check(
    "HC-IMG-007", "setuid/setgid files", S.MEDIUM,
    "setuid and setgid executables run with their owner's or group's privileges; each one is a"
    " privilege-escalation path for a process in the container.",
    "Remove the setuid/setgid bits the application does not need, e.g."
    " `RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +`.",
    (f"{_CIS} 4.8",),
)
WORLD_WRITABLE = Check(
    "HC-IMG-008", "World-writable files or directories", S.MEDIUM,
    "Any user in the container can modify a world-writable file, or replace files in a"
    " world-writable directory without the sticky bit, and so change what another user runs or reads.",
    "Remove the write permission for others (`chmod o-w`), or set the sticky bit on shared"
    " directories; keep scratch space in /tmp.",
)
PACKAGE_CACHE = Check(
    "HC-IMG-009", "Package manager cache left in the image", S.LOW,
    "Package indexes, downloaded archives and pip/npm caches make the image larger and can hold"
    " stale or private metadata; they serve no purpose at run time.",
    "Clean up in the same RUN that installs (`rm -rf /var/lib/apt/lists/*`, `apk add --no-cache`,"
    " `pip install --no-cache-dir`, `npm cache clean --force`, `dnf clean all`).",
)
SSH_SERVER = Check(
    "HC-IMG-010", "SSH server in the image", S.MEDIUM,
    "An SSH daemon adds an authentication surface and a way around the runtime's access"
    " controls (logs, exec auditing); containers are reached with `docker exec`/`kubectl exec`.",
    "Remove the SSH server package from the image.",
    (f"{_CIS} 4.3", _CIS_SSHD),
)
SSH_PORT = Check(
    "HC-IMG-011", "Port 22 exposed", S.MEDIUM,
    "Exposing port 22 suggests the container offers SSH, which containers should not need.",
    "Remove `EXPOSE 22` (and the SSH server behind it).",
    (_CIS_SSHD,),
)
UNPINNED_BASE = Check(
    "HC-IMG-012", "Base image not pinned by digest", S.LOW,
    "A base referenced by a tag (worst: `latest`) changes underneath the build; rebuilding the"
    " same Dockerfile gives a different, untested image.",
    "Reference the base image by digest (`FROM image:tag@sha256:...`) and update it deliberately.",
    (f"{_CIS} 4.2",),
)
SUDO = Check(
    "HC-IMG-013", "sudo installed or used in the build", S.LOW,
    "sudo lets a non-root user become root; in a container it undoes the benefit of `USER` and"
    " its setuid binary is an escalation path. In a RUN step it hides which user a step really"
    " needs and behaves differently with and without a TTY.",
    "Remove sudo; run the steps that need root during the build as root, before `USER`.",
)
SYSTEM_UPGRADE = Check(
    "HC-IMG-014", "Full system upgrade in the build", S.LOW,
    "`apt-get upgrade`, `apk upgrade` or `dnf upgrade` without package names pull whatever is newest"
    " at build time: the image's content depends on the day it was built.",
    "Rebuild from an updated base image instead, or install specific packages at pinned versions.",
)
CHMOD_WORLD = Check(
    "HC-IMG-015", "chmod making files world-writable", S.MEDIUM,
    "`chmod 777` (or `o+w`) in the build gives every user of the container write access to the"
    " files it touches.",
    "Grant only the permissions needed, to the owning user or group (e.g. `chown app` and `chmod 750`).",
)
DELETED_SECRET_FILE = Check(
    "HC-IMG-016", "Secret-looking file removed in a later layer", S.HIGH,
    "Deleting a file in a later layer only hides it: the layer that added it still ships it, and"
    " anyone who pulls the image can extract it.",
    "Never COPY keys or credentials into the image: use BuildKit secret or SSH mounts, or a"
    " multi-stage build whose final stage does not contain them. Rotate the exposed credential.",
    (f"{_CIS} 4.10",),
)
PROVENANCE_LABELS = Check(
    "HC-IMG-017", "Missing provenance labels", S.NEGLIGIBLE,
    "Without `org.opencontainers.image.source` and `.revision` a finding in the image cannot be"
    " traced back to the repository and commit that produced it.",
    "Set the OCI labels at build time, e.g. `--label org.opencontainers.image.source=<repo URL>"
    " --label org.opencontainers.image.revision=<commit>`.",
    ("OCI image-spec annotations",),
)

ALL: tuple[Check, ...] = (
    ROOT_USER, NO_HEALTHCHECK, ENV_SECRET, BUILD_ARG_SECRET, ADD_URL, PIPE_TO_SHELL, SETUID,
    WORLD_WRITABLE, PACKAGE_CACHE, SSH_SERVER, SSH_PORT, UNPINNED_BASE, SUDO, SYSTEM_UPGRADE,
    CHMOD_WORLD, DELETED_SECRET_FILE, PROVENANCE_LABELS,
)
BY_ID: Mapping[str, Check] = {c.id: c for c in ALL}


def checks() -> Iterator[Check]:
    """Every check, in id order (for documentation and SARIF rule lists)."""
    return iter(sorted(ALL, key=lambda c: c.id))
