"""The Kubernetes Pod Security Standards, control by control, as pod-security-admission evaluates them.

Facts (allowed values, version boundaries) follow the upstream check registry
(k8s.io/pod-security-admission/policy) and the Pod Security Standards page; each control notes
the versions at which its behaviour changes. Where PSA evaluates the *defaulted* object we say
how a raw manifest maps onto it (a volume with no source is defaulted to emptyDir).

Unlike PSA, which answers once per control per pod, each hit names one container and one field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hullcheck.model.finding import SeverityLevel
from hullcheck.policy.manifests import Container, Workload
from hullcheck.policy.rules import Context, Hit, Rule

PSS_DOC = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"


def _d(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _l(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def pod_sc(w: Workload) -> dict[str, Any]:
    return _d(w.pod_spec.get("securityContext"))


def csc(c: Container) -> dict[str, Any]:
    return _d(c.spec.get("securityContext"))


def has(d: dict[str, Any], key: str) -> bool:
    """The field is set (Go: pointer non-nil). YAML ``null`` counts as unset."""
    return d.get(key) is not None


def one_of(value: Any, allowed: frozenset[str]) -> bool:
    """``value in allowed`` for a value from the document: a list or mapping where a string belongs is
    simply not allowed (``in`` on a frozenset would raise TypeError: unhashable)."""
    return isinstance(value, str) and value in allowed


def is_windows(w: Workload) -> bool:
    return _d(w.pod_spec.get("os")).get("name") == "windows"


def user_namespaced(w: Workload) -> bool:
    """``hostUsers: false``: the pod runs in its own user namespace (KEP-127)."""
    return w.pod_spec.get("hostUsers") is False


def _pod_field(w: Workload, *parts: str) -> str:
    return ".".join((w.spec_path, *parts))


# -- baseline -------------------------------------------------------------------------------------


def check_host_process(w: Workload, ctx: Context) -> Iterator[Hit]:
    """HostProcess: windowsOptions.hostProcess must be unset or false (pod and every container), v1.0+."""
    if _d(pod_sc(w).get("windowsOptions")).get("hostProcess") is True:
        yield Hit("pod must not set securityContext.windowsOptions.hostProcess=true",
                  _pod_field(w, "securityContext.windowsOptions.hostProcess"))
    for c in w.containers:
        if _d(csc(c).get("windowsOptions")).get("hostProcess") is True:
            yield Hit(f"container {c.name!r} must not set securityContext.windowsOptions.hostProcess=true",
                      f"{c.path}.securityContext.windowsOptions.hostProcess", c.name)


def check_host_namespaces(w: Workload, ctx: Context) -> Iterator[Hit]:
    """Host namespaces: hostNetwork, hostPID, hostIPC must be unset or false, v1.0+."""
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if w.pod_spec.get(key) is True:
            yield Hit(f"pod must not set {key}=true", _pod_field(w, key))


def check_privileged(w: Workload, ctx: Context) -> Iterator[Hit]:
    """Privileged containers: securityContext.privileged must be unset or false, v1.0+."""
    for c in w.containers:
        if csc(c).get("privileged") is True:
            yield Hit(f"container {c.name!r} must not set securityContext.privileged=true",
                      f"{c.path}.securityContext.privileged", c.name)


BASELINE_CAPABILITIES = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
    "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
})


def check_capabilities_baseline(w: Workload, ctx: Context) -> Iterator[Hit]:
    """Capabilities (baseline): capabilities.add only from the default set, v1.0+ (names compared exactly)."""
    for c in w.containers:
        added = _l(_d(csc(c).get("capabilities")).get("add"))
        bad = [str(a) for a in added if not one_of(a, BASELINE_CAPABILITIES)]
        if bad:
            yield Hit(f"container {c.name!r} must not include {', '.join(bad)} in securityContext.capabilities.add",
                      f"{c.path}.securityContext.capabilities.add", c.name)


def check_host_path(w: Workload, ctx: Context) -> Iterator[Hit]:
    """HostPath volumes: volumes[*].hostPath must be unset, v1.0+."""
    for i, v in enumerate(_l(w.pod_spec.get("volumes"))):
        if has(_d(v), "hostPath"):
            yield Hit(f"hostPath volume {_d(v).get('name')!r} is forbidden", _pod_field(w, f"volumes[{i}].hostPath"))


def check_host_ports(w: Workload, ctx: Context) -> Iterator[Hit]:
    """Host ports: ports[*].hostPort must be unset or 0, v1.0+."""
    for c in w.containers:
        for j, p in enumerate(_l(c.spec.get("ports"))):
            hp = _d(p).get("hostPort")
            if hp is not None and hp != 0:
                yield Hit(f"container {c.name!r} must not set hostPort={hp}", f"{c.path}.ports[{j}].hostPort", c.name)


APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
APPARMOR_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def check_apparmor(w: Workload, ctx: Context) -> Iterator[Hit]:
    """AppArmor: appArmorProfile.type (pod, containers) RuntimeDefault or Localhost; the beta annotation
    ``container.apparmor.security.beta.kubernetes.io/*`` empty, runtime/default or localhost/*. PSA checks
    both at every policy version (the field check was added in place to its v1.0 revision)."""
    prof = pod_sc(w).get("appArmorProfile")
    if prof is not None and not one_of(_d(prof).get("type"), APPARMOR_TYPES):
        yield Hit(f"pod must not set securityContext.appArmorProfile.type={_d(prof).get('type')!r}",
                  _pod_field(w, "securityContext.appArmorProfile.type"))
    for c in w.containers:
        prof = csc(c).get("appArmorProfile")
        if prof is not None and not one_of(_d(prof).get("type"), APPARMOR_TYPES):
            yield Hit(f"container {c.name!r} must not set securityContext.appArmorProfile.type="
                      f"{_d(prof).get('type')!r}",
                      f"{c.path}.securityContext.appArmorProfile.type", c.name)
    for key, value in w.annotations.items():
        if key.startswith(APPARMOR_ANNOTATION):
            val = "" if value is None else str(value)
            if not (val == "" or val == "runtime/default" or val.startswith("localhost/")):
                yield Hit(f"annotation {key}={val!r} is forbidden", f"{w.meta_path}.annotations['{key}']",
                          key[len(APPARMOR_ANNOTATION):])


SELINUX_TYPES_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
SELINUX_TYPES_1_31 = SELINUX_TYPES_1_0 | {"container_engine_t"}


def _selinux(opts: dict[str, Any], where: str, field: str, allowed: frozenset[str], container: str) -> Iterator[Hit]:
    t = opts.get("type")
    if t is not None and not one_of(t, allowed):
        yield Hit(f"{where} must not set securityContext.seLinuxOptions.type={t!r}", f"{field}.type", container)
    for key in ("user", "role"):
        if opts.get(key) not in (None, ""):
            yield Hit(f"{where} must not set securityContext.seLinuxOptions.{key}", f"{field}.{key}", container)


def check_selinux(w: Workload, ctx: Context) -> Iterator[Hit]:
    """SELinux: seLinuxOptions.type from the allowed set (container_engine_t from v1.31); user, role unset."""
    allowed = SELINUX_TYPES_1_31 if ctx.version >= (1, 31) else SELINUX_TYPES_1_0
    yield from _selinux(_d(pod_sc(w).get("seLinuxOptions")), "pod",
                        _pod_field(w, "securityContext.seLinuxOptions"), allowed, "")
    for c in w.containers:
        yield from _selinux(_d(csc(c).get("seLinuxOptions")), f"container {c.name!r}",
                            f"{c.path}.securityContext.seLinuxOptions", allowed, c.name)


def check_proc_mount(w: Workload, ctx: Context) -> Iterator[Hit]:
    """/proc mount type: procMount unset or Default. From v1.35 baseline allows any value for a
    ``hostUsers: false`` pod; restricted never does (procMount_restricted)."""
    if ctx.level == "baseline" and ctx.version >= (1, 35) and user_namespaced(w):
        return
    for c in w.containers:
        pm = csc(c).get("procMount")
        if pm is not None and pm != "Default":
            yield Hit(f"container {c.name!r} must not set securityContext.procMount={pm!r}",
                      f"{c.path}.securityContext.procMount", c.name)


SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"
SECCOMP_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def _seccomp_annotation_ok(v: Any) -> bool:
    s = "" if v is None else str(v)
    return s in ("runtime/default", "docker/default") or s.startswith("localhost/")


def check_seccomp_baseline(w: Workload, ctx: Context) -> Iterator[Hit]:
    """Seccomp (baseline): if set, RuntimeDefault or Localhost. Below v1.19 PSA reads the alpha annotations
    (runtime/default, docker/default, localhost/*); from v1.19 the seccompProfile fields."""
    ann = w.annotations
    if ctx.version < (1, 19):
        if SECCOMP_POD_ANNOTATION in ann and not _seccomp_annotation_ok(ann[SECCOMP_POD_ANNOTATION]):
            yield Hit(f"annotation {SECCOMP_POD_ANNOTATION}={ann[SECCOMP_POD_ANNOTATION]!r} is forbidden",
                      f"{w.meta_path}.annotations['{SECCOMP_POD_ANNOTATION}']")
        for c in w.containers:
            key = SECCOMP_CONTAINER_ANNOTATION + c.name
            if key in ann and not _seccomp_annotation_ok(ann[key]):
                yield Hit(f"annotation {key}={ann[key]!r} is forbidden", f"{w.meta_path}.annotations['{key}']", c.name)
        return
    prof = pod_sc(w).get("seccompProfile")
    if prof is not None and not one_of(_d(prof).get("type"), SECCOMP_TYPES):
        yield Hit(f"pod must not set securityContext.seccompProfile.type={_d(prof).get('type')!r}",
                  _pod_field(w, "securityContext.seccompProfile.type"))
    for c in w.containers:
        prof = csc(c).get("seccompProfile")
        if prof is not None and not one_of(_d(prof).get("type"), SECCOMP_TYPES):
            yield Hit(f"container {c.name!r} must not set securityContext.seccompProfile.type={_d(prof).get('type')!r}",
                      f"{c.path}.securityContext.seccompProfile.type", c.name)


SYSCTLS_BY_VERSION: tuple[tuple[tuple[int, int], frozenset[str]], ...] = (
    ((1, 0), frozenset({"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
                        "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"})),
    ((1, 27), frozenset({"net.ipv4.ip_local_reserved_ports"})),
    ((1, 29), frozenset({"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                         "net.ipv4.tcp_keepalive_probes"})),
    ((1, 32), frozenset({"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"})),
    ((1, 37), frozenset({"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"})),
)


def safe_sysctls(version: tuple[int, int]) -> frozenset[str]:
    out: frozenset[str] = frozenset()
    for since, names in SYSCTLS_BY_VERSION:
        if version >= since:
            out |= names
    return out


def check_sysctls(w: Workload, ctx: Context) -> Iterator[Hit]:
    """Sysctls: only the safe set, which grew at v1.27, v1.29, v1.32 and v1.37 (pod securityContext only)."""
    allowed = safe_sysctls(ctx.version)
    for i, s in enumerate(_l(pod_sc(w).get("sysctls"))):
        name = _d(s).get("name")
        if not one_of(name, allowed):
            yield Hit(f"sysctl {name!r} is not in the safe set of v{ctx.version[0]}.{ctx.version[1]}",
                      _pod_field(w, f"securityContext.sysctls[{i}].name"))


_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_HANDLERS = ("httpGet", "tcpSocket")


def check_host_probes(w: Workload, ctx: Context) -> Iterator[Hit]:
    """Host probes / lifecycle hooks (v1.34+): probes' and lifecycle handlers' httpGet.host, tcpSocket.host
    must be unset or empty."""
    for c in w.containers:
        places = [(p, _d(c.spec.get(p))) for p in _PROBES]
        life = _d(c.spec.get("lifecycle"))
        places += [(f"lifecycle.{h}", _d(life.get(h))) for h in ("postStart", "preStop")]
        for where, handler in places:
            for kind in _HANDLERS:
                host = _d(handler.get(kind)).get("host")
                if host not in (None, ""):
                    yield Hit(f"container {c.name!r} must not set {where}.{kind}.host={host!r}",
                              f"{c.path}.{where}.{kind}.host", c.name)


# -- restricted -----------------------------------------------------------------------------------

RESTRICTED_VOLUME_TYPES = frozenset({
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret",
})


def check_volume_types(w: Workload, ctx: Context) -> Iterator[Hit]:
    """Volume types (restricted): only configMap, csi, downwardAPI, emptyDir, ephemeral, image,
    persistentVolumeClaim, projected, secret. A volume without a source is defaulted to emptyDir by the
    API server before PSA sees it, so it passes."""
    for i, v in enumerate(_l(w.pod_spec.get("volumes"))):
        sources = [k for k, val in _d(v).items() if k != "name" and val is not None]
        bad = [k for k in sources if k not in RESTRICTED_VOLUME_TYPES]
        if bad:
            yield Hit(f"volume {_d(v).get('name')!r} uses restricted volume type {', '.join(bad)}",
                      _pod_field(w, f"volumes[{i}].{bad[0]}"))


def check_privilege_escalation(w: Workload, ctx: Context) -> Iterator[Hit]:
    """Privilege escalation (restricted, v1.8+): allowPrivilegeEscalation must be set to false on every
    container; from v1.25 Windows pods (spec.os.name=windows) are exempt."""
    if ctx.version >= (1, 25) and is_windows(w):
        return
    for c in w.containers:
        if csc(c).get("allowPrivilegeEscalation") is not False:
            yield Hit(f"container {c.name!r} must set securityContext.allowPrivilegeEscalation=false",
                      f"{c.path}.securityContext.allowPrivilegeEscalation", c.name)


def check_run_as_non_root(w: Workload, ctx: Context) -> Iterator[Hit]:
    """Running as non-root (restricted): runAsNonRoot=true on the pod or on every container, and never false.
    From v1.35, skipped for ``hostUsers: false`` pods."""
    if ctx.version >= (1, 35) and user_namespaced(w):
        return
    pod_value = pod_sc(w).get("runAsNonRoot")
    if pod_value is False:
        yield Hit("pod must not set securityContext.runAsNonRoot=false", _pod_field(w, "securityContext.runAsNonRoot"))
    for c in w.containers:
        value = csc(c).get("runAsNonRoot")
        if value is False:
            yield Hit(f"container {c.name!r} must not set securityContext.runAsNonRoot=false",
                      f"{c.path}.securityContext.runAsNonRoot", c.name)
        elif value is None and pod_value is not True:
            yield Hit(f"pod or container {c.name!r} must set securityContext.runAsNonRoot=true",
                      f"{c.path}.securityContext.runAsNonRoot", c.name)


def _is_zero(v: Any) -> bool:
    return type(v) is int and v == 0  # bool is an int subclass: False is not UID 0


def check_run_as_user(w: Workload, ctx: Context) -> Iterator[Hit]:
    """runAsUser (restricted, v1.23+): must not be 0 on the pod or any container. From v1.35, skipped for
    ``hostUsers: false`` pods."""
    if ctx.version >= (1, 35) and user_namespaced(w):
        return
    if _is_zero(pod_sc(w).get("runAsUser")):
        yield Hit("pod must not set securityContext.runAsUser=0", _pod_field(w, "securityContext.runAsUser"))
    for c in w.containers:
        v = csc(c).get("runAsUser")
        if _is_zero(v):
            yield Hit(f"container {c.name!r} must not set securityContext.runAsUser=0",
                      f"{c.path}.securityContext.runAsUser", c.name)


def check_seccomp_restricted(w: Workload, ctx: Context) -> Iterator[Hit]:
    """Seccomp (restricted, v1.19+): RuntimeDefault or Localhost, on the pod or on every container; other values
    forbidden everywhere. From v1.25 Windows pods are exempt."""
    if ctx.version >= (1, 25) and is_windows(w):
        return
    prof = pod_sc(w).get("seccompProfile")
    pod_ok = False
    if prof is not None:
        if one_of(_d(prof).get("type"), SECCOMP_TYPES):
            pod_ok = True
        else:
            yield Hit(f"pod must not set securityContext.seccompProfile.type={_d(prof).get('type')!r}",
                      _pod_field(w, "securityContext.seccompProfile.type"))
    for c in w.containers:
        cprof = csc(c).get("seccompProfile")
        if cprof is not None:
            if not one_of(_d(cprof).get("type"), SECCOMP_TYPES):
                yield Hit(f"container {c.name!r} must not set securityContext.seccompProfile.type="
                          f"{_d(cprof).get('type')!r}", f"{c.path}.securityContext.seccompProfile.type", c.name)
        elif not pod_ok:
            yield Hit(f"pod or container {c.name!r} must set securityContext.seccompProfile.type to "
                      "RuntimeDefault or Localhost", f"{c.path}.securityContext.seccompProfile.type", c.name)


def check_capabilities_restricted(w: Workload, ctx: Context) -> Iterator[Hit]:
    """Capabilities (restricted, v1.22+): drop must include ALL; add may only hold NET_BIND_SERVICE. From v1.25
    Windows pods are exempt."""
    if ctx.version >= (1, 25) and is_windows(w):
        return
    for c in w.containers:
        caps = _d(csc(c).get("capabilities"))
        if "ALL" not in _l(caps.get("drop")):
            yield Hit(f"container {c.name!r} must set securityContext.capabilities.drop=[\"ALL\"]",
                      f"{c.path}.securityContext.capabilities.drop", c.name)
        bad = [str(a) for a in _l(caps.get("add")) if a != "NET_BIND_SERVICE"]
        if bad:
            yield Hit(f"container {c.name!r} must not include {', '.join(bad)} in securityContext.capabilities.add",
                      f"{c.path}.securityContext.capabilities.add", c.name)


def _ref(control: str) -> tuple[str, ...]:
    return (f"PSS: {control}", PSS_DOC)


HIGH, MEDIUM = SeverityLevel.HIGH, SeverityLevel.MEDIUM

BASELINE_RULES: tuple[Rule, ...] = (
    Rule("HC-K8S-001", "Windows HostProcess containers", HIGH,
         "HostProcess containers run directly on the Windows host with full access.",
         "Remove windowsOptions.hostProcess or set it to false.", check_host_process, _ref("HostProcess")),
    Rule("HC-K8S-002", "Host namespaces", HIGH,
         "Sharing the host's network, PID or IPC namespace breaks container isolation.",
         "Remove hostNetwork, hostPID and hostIPC or set them to false.", check_host_namespaces,
         _ref("Host Namespaces")),
    Rule("HC-K8S-003", "Privileged containers", HIGH,
         "Privileged containers disable most security mechanisms and can take over the node.",
         "Remove securityContext.privileged or set it to false.", check_privileged, _ref("Privileged Containers")),
    Rule("HC-K8S-004", "Capabilities beyond the default set", MEDIUM,
         "Adding capabilities beyond the runtime's default set (e.g. NET_RAW, SYS_ADMIN) enables escalation.",
         "Only add capabilities from the baseline list.", check_capabilities_baseline, _ref("Capabilities")),
    Rule("HC-K8S-005", "HostPath volumes", HIGH,
         "hostPath volumes expose the node's filesystem to the container.",
         "Use a PersistentVolumeClaim, emptyDir, configMap or secret instead.", check_host_path,
         _ref("HostPath Volumes")),
    Rule("HC-K8S-006", "Host ports", MEDIUM,
         "hostPort binds the node's port and bypasses network policy.",
         "Remove hostPort (or set it to 0); expose the pod through a Service.", check_host_ports,
         _ref("Host Ports")),
    Rule("HC-K8S-007", "AppArmor profile overridden", MEDIUM,
         "Disabling AppArmor (Unconfined) removes a layer of mandatory access control.",
         "Use RuntimeDefault or a Localhost profile.", check_apparmor, _ref("AppArmor")),
    Rule("HC-K8S-008", "Custom SELinux options", MEDIUM,
         "Setting a custom SELinux user, role or type can grant the container host-level access.",
         "Remove seLinuxOptions.user/role and use an allowed type.", check_selinux, _ref("SELinux")),
    Rule("HC-K8S-009", "/proc mount type", MEDIUM,
         "An Unmasked /proc exposes kernel interfaces that the default mask hides.",
         "Remove securityContext.procMount or set it to Default.", check_proc_mount, _ref("/proc Mount Type")),
    Rule("HC-K8S-010", "Seccomp profile Unconfined", MEDIUM,
         "An Unconfined seccomp profile lets the container make every system call.",
         "Use RuntimeDefault or a Localhost profile.", check_seccomp_baseline, _ref("Seccomp")),
    Rule("HC-K8S-011", "Unsafe sysctls", MEDIUM,
         "Sysctls outside the safe set can affect the whole node or disable security mechanisms.",
         "Only set sysctls from the safe set for the cluster's Kubernetes version.", check_sysctls,
         _ref("Sysctls")),
    Rule("HC-K8S-012", "Host probes and lifecycle hooks", MEDIUM,
         "A probe or lifecycle hook with .host lets the kubelet reach other hosts on the pod's behalf.",
         "Remove httpGet.host and tcpSocket.host from probes and lifecycle handlers.", check_host_probes,
         _ref("Probes / Lifecycle Hooks"), min_version=(1, 34)),
)

RESTRICTED_RULES: tuple[Rule, ...] = (
    Rule("HC-K8S-020", "Restricted volume types", MEDIUM,
         "Only volume types that cannot reach node or network storage directly are allowed.",
         "Use configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret.",
         check_volume_types, _ref("Volume Types"), overrides=(("HC-K8S-005", (1, 0)),)),
    Rule("HC-K8S-021", "Privilege escalation allowed", MEDIUM,
         "Without allowPrivilegeEscalation=false a process can gain privileges via setuid binaries.",
         "Set securityContext.allowPrivilegeEscalation: false on every container.", check_privilege_escalation,
         _ref("Privilege Escalation"), min_version=(1, 8)),
    Rule("HC-K8S-022", "Running as root allowed", MEDIUM,
         "Containers must be required to run as non-root users.",
         "Set securityContext.runAsNonRoot: true on the pod or every container.", check_run_as_non_root,
         _ref("Running as Non-root")),
    Rule("HC-K8S-023", "Running as UID 0", MEDIUM,
         "runAsUser: 0 runs the container as root.",
         "Set runAsUser to a non-zero UID, or leave it unset with runAsNonRoot: true.", check_run_as_user,
         _ref("Running as Non-root user"), min_version=(1, 23)),
    Rule("HC-K8S-024", "Seccomp profile not set", MEDIUM,
         "The restricted profile requires a seccomp profile (RuntimeDefault or Localhost).",
         "Set securityContext.seccompProfile.type: RuntimeDefault on the pod.", check_seccomp_restricted,
         _ref("Seccomp"), min_version=(1, 19), overrides=(("HC-K8S-010", (1, 19)),)),
    Rule("HC-K8S-025", "Capabilities not dropped", MEDIUM,
         "Containers must drop ALL capabilities and may only add NET_BIND_SERVICE.",
         "Set securityContext.capabilities.drop: [\"ALL\"]; add only NET_BIND_SERVICE.",
         check_capabilities_restricted, _ref("Capabilities"), min_version=(1, 22),
         overrides=(("HC-K8S-004", (1, 22)),)),
)


def pss_rules(level: str, version: tuple[int, int]) -> list[Rule]:
    """The rules PSA runs for ``level`` at ``version``: baseline, or baseline minus overridden + restricted."""
    base = [r for r in BASELINE_RULES if version >= r.min_version]
    if level == "baseline":
        return base
    extra = [r for r in RESTRICTED_RULES if version >= r.min_version]
    overridden = {rid for r in extra for rid, since in r.overrides if version >= since}
    return [r for r in base if r.id not in overridden] + extra
