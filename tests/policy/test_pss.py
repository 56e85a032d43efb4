"""Pod Security Standards, control by control and version by version.

Each case names the documented rule it checks: the Pod Security Standards page
(https://kubernetes.io/docs/concepts/security/pod-security-standards/) and the version boundaries
of pod-security-admission's check registry (k8s.io/pod-security-admission/policy, ``check_*.go``).
Every case starts from a pod that passes ``restricted`` at every version and changes one thing, so
the expected rule set is exactly the control under test.
"""

from __future__ import annotations

import pytest

from hullcheck.policy.config import Policy
from hullcheck.policy.engine import evaluate
from hullcheck.policy.pss import BASELINE_CAPABILITIES, SYSCTLS_BY_VERSION, pss_rules
from hullcheck.policy.rules import LATEST, parse_version

from .helpers import RESTRICTED_POD, pod

V = parse_version


def hits(patch: str, level: str, version: str = "latest", base: str = RESTRICTED_POD) -> set[str]:
    w = pod(patch, base)
    result = evaluate([w], Policy(), f"pss-{level}", V(version))
    return {v.rule for v in result.violations}


def test_the_base_pod_passes_restricted_at_every_version() -> None:
    for minor in range(0, LATEST[1] + 1):
        assert hits("", "restricted", f"v1.{minor}") == set(), minor


# (documented rule, patch, {level: expected rule ids})
BASELINE_CASES = [
    ("HostProcess: spec.securityContext.windowsOptions.hostProcess must be false/undefined",
     "spec: {securityContext: {windowsOptions: {hostProcess: true}}}", {"HC-K8S-001"}),
    ("HostProcess: containers[*].securityContext.windowsOptions.hostProcess",
     "spec: {containers: [{securityContext: {windowsOptions: {hostProcess: true}}}]}", {"HC-K8S-001"}),
    ("Host Namespaces: spec.hostNetwork must be false/undefined", "spec: {hostNetwork: true}", {"HC-K8S-002"}),
    ("Host Namespaces: spec.hostPID", "spec: {hostPID: true}", {"HC-K8S-002"}),
    ("Host Namespaces: spec.hostIPC", "spec: {hostIPC: true}", {"HC-K8S-002"}),
    ("Host Namespaces: false is allowed", "spec: {hostIPC: false, hostPID: false, hostNetwork: false}", set()),
    ("Privileged Containers: securityContext.privileged must be false/undefined",
     "spec: {containers: [{securityContext: {privileged: true}}]}", {"HC-K8S-003"}),
    ("HostPath Volumes: spec.volumes[*].hostPath must be undefined (restricted: not an allowed volume type)",
     "spec: {volumes: [{name: h, hostPath: {path: /}}]}", {"HC-K8S-005"}),
    ("Host Ports: hostPort must be undefined or 0",
     "spec: {containers: [{ports: [{containerPort: 80, hostPort: 8080}]}]}", {"HC-K8S-006"}),
    ("Host Ports: hostPort 0 is allowed", "spec: {containers: [{ports: [{containerPort: 80, hostPort: 0}]}]}", set()),
    ("AppArmor: appArmorProfile.type Unconfined is forbidden",
     "spec: {securityContext: {appArmorProfile: {type: Unconfined}}}", {"HC-K8S-007"}),
    ("AppArmor: container appArmorProfile.type Localhost is allowed",
     "spec: {containers: [{securityContext: {appArmorProfile: {type: Localhost, localhostProfile: x}}}]}", set()),
    ("AppArmor: annotation value unconfined is forbidden",
     "metadata: {annotations: {container.apparmor.security.beta.kubernetes.io/app: unconfined}}", {"HC-K8S-007"}),
    ("AppArmor: annotation runtime/default and localhost/* are allowed",
     "metadata: {annotations: {container.apparmor.security.beta.kubernetes.io/app: localhost/prof}}", set()),
    ("SELinux: seLinuxOptions.type outside the allowed set",
     "spec: {securityContext: {seLinuxOptions: {type: spc_t}}}", {"HC-K8S-008"}),
    ("SELinux: seLinuxOptions.user must be undefined/empty",
     "spec: {containers: [{securityContext: {seLinuxOptions: {user: system_u}}}]}", {"HC-K8S-008"}),
    ("SELinux: seLinuxOptions.role must be undefined/empty",
     "spec: {containers: [{securityContext: {seLinuxOptions: {role: sysadm_r}}}]}", {"HC-K8S-008"}),
    ("SELinux: container_init_t and level are allowed",
     "spec: {securityContext: {seLinuxOptions: {type: container_init_t, level: 's0:c1'}}}", set()),
    ("/proc Mount Type: procMount must be Default/undefined",
     "spec: {containers: [{securityContext: {procMount: Unmasked}}]}", {"HC-K8S-009"}),
    ("Seccomp: Unconfined is forbidden on the pod (restricted: replaced by the stricter seccomp check)",
     "spec: {securityContext: {seccompProfile: {type: Unconfined}}}", {"HC-K8S-010"}),
    ("Seccomp: a container may not set Unconfined even when the pod sets RuntimeDefault",
     "spec: {containers: [{securityContext: {seccompProfile: {type: Unconfined}}}]}", {"HC-K8S-010"}),
    ("Sysctls: only the safe set", "spec: {securityContext: {sysctls: [{name: kernel.msgmax, value: '1'}]}}",
     {"HC-K8S-011"}),
    ("Sysctls: a safe sysctl is allowed",
     "spec: {securityContext: {sysctls: [{name: net.ipv4.ip_local_port_range, value: '1024 65535'}]}}", set()),
    ("Capabilities: adding beyond the default set is forbidden",
     "spec: {containers: [{securityContext: {capabilities: {add: [NET_RAW]}}}]}", {"HC-K8S-004"}),
    ("Probes / Lifecycle Hooks (v1.34+): livenessProbe.httpGet.host must be undefined/empty",
     "spec: {containers: [{livenessProbe: {httpGet: {host: 10.0.0.1, port: 80}}}]}", {"HC-K8S-012"}),
    ("Probes / Lifecycle Hooks: lifecycle.preStop.tcpSocket.host",
     "spec: {containers: [{lifecycle: {preStop: {tcpSocket: {host: example.com, port: 1}}}}]}", {"HC-K8S-012"}),
]

# what the restricted level reports instead, where a restricted check replaces the baseline one
RESTRICTED_INSTEAD = {
    "HC-K8S-005": {"HC-K8S-020"},  # restrictedVolumes overrides hostPathVolumes
    "HC-K8S-010": {"HC-K8S-024"},  # seccompProfile_restricted overrides seccompProfile_baseline (v1.19+)
    "HC-K8S-004": {"HC-K8S-025"},  # capabilities_restricted overrides capabilities_baseline (v1.22+)
}


@pytest.mark.parametrize(("rule", "patch", "expected"), BASELINE_CASES, ids=[c[0] for c in BASELINE_CASES])
def test_baseline_controls(rule: str, patch: str, expected: set[str]) -> None:
    assert hits(patch, "baseline") == expected
    restricted = set()
    for r in expected:
        restricted |= RESTRICTED_INSTEAD.get(r, {r})
    assert hits(patch, "restricted") == restricted


RESTRICTED_CASES = [
    ("Volume Types: only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret",
     "spec: {volumes: [{name: n, nfs: {server: s, path: /}}]}", {"HC-K8S-020"}),
    ("Volume Types: the allowed types pass (a sourceless volume is defaulted to emptyDir)",
     "spec: {volumes: [{name: a, configMap: {name: c}}, {name: b, secret: {secretName: s}}, {name: c, emptyDir: {}},"
     " {name: d, persistentVolumeClaim: {claimName: x}}, {name: e, projected: {sources: []}}, {name: f},"
     " {name: g, downwardAPI: {items: []}}, {name: h, csi: {driver: d}}, {name: i, ephemeral: {}}]}", set()),
    ("Privilege Escalation: allowPrivilegeEscalation must be false",
     "spec: {containers: [{securityContext: {allowPrivilegeEscalation: true}}]}", {"HC-K8S-021"}),
    ("Running as Non-root: runAsNonRoot false on the pod is forbidden",
     "spec: {securityContext: {runAsNonRoot: false}}", {"HC-K8S-022"}),
    ("Running as Non-root: a container may not set runAsNonRoot false",
     "spec: {containers: [{securityContext: {runAsNonRoot: false}}]}", {"HC-K8S-022"}),
    ("Running as Non-root user (v1.23+): runAsUser 0 is forbidden",
     "spec: {containers: [{securityContext: {runAsUser: 0}}]}", {"HC-K8S-023"}),
    ("Running as Non-root user: a non-zero runAsUser is allowed",
     "spec: {securityContext: {runAsUser: 1000}}", set()),
    ("Capabilities: add only NET_BIND_SERVICE",
     "spec: {containers: [{securityContext: {capabilities: {add: [CHOWN]}}}]}", {"HC-K8S-025"}),
    ("Capabilities: NET_BIND_SERVICE may be added",
     "spec: {containers: [{securityContext: {capabilities: {add: [NET_BIND_SERVICE]}}}]}", set()),
]


@pytest.mark.parametrize(("rule", "patch", "expected"), RESTRICTED_CASES, ids=[c[0] for c in RESTRICTED_CASES])
def test_restricted_controls(rule: str, patch: str, expected: set[str]) -> None:
    assert hits(patch, "restricted") == expected
    assert hits(patch, "baseline") == set()


NO_SECURITY_CONTEXT = """
apiVersion: v1
kind: Pod
metadata: {name: bare}
spec:
  containers: [{name: app, image: nginx}]
"""


def test_minimal_pod_meets_baseline_but_not_restricted() -> None:
    # "Baseline ... Allows the default (minimally specified) Pod configuration"
    assert hits("", "baseline", base=NO_SECURITY_CONTEXT) == set()
    assert hits("", "restricted", base=NO_SECURITY_CONTEXT) == {
        "HC-K8S-021", "HC-K8S-022", "HC-K8S-024", "HC-K8S-025"}


def test_restricted_rules_appear_at_their_versions() -> None:
    # allowPrivilegeEscalation v1.8, seccompProfile_restricted v1.19, capabilities_restricted v1.22, runAsUser v1.23
    assert hits("", "restricted", "v1.7", base=NO_SECURITY_CONTEXT) == {"HC-K8S-022"}
    assert hits("", "restricted", "v1.8", base=NO_SECURITY_CONTEXT) == {"HC-K8S-021", "HC-K8S-022"}
    assert hits("", "restricted", "v1.19", base=NO_SECURITY_CONTEXT) == {"HC-K8S-021", "HC-K8S-022", "HC-K8S-024"}
    assert hits("", "restricted", "v1.22", base=NO_SECURITY_CONTEXT) == {
        "HC-K8S-021", "HC-K8S-022", "HC-K8S-024", "HC-K8S-025"}
    uid0 = "spec: {securityContext: {runAsUser: 0}}"
    assert hits(uid0, "restricted", "v1.22") == set()
    assert hits(uid0, "restricted", "v1.23") == {"HC-K8S-023"}


def test_capabilities_baseline_applies_under_restricted_before_v1_22() -> None:
    add = "spec: {containers: [{securityContext: {capabilities: {add: [SYS_ADMIN]}}}]}"
    assert hits(add, "restricted", "v1.21") == {"HC-K8S-004"}
    assert hits(add, "restricted", "v1.22") == {"HC-K8S-025"}


def test_baseline_capability_set_is_the_documented_thirteen() -> None:
    for cap in sorted(BASELINE_CAPABILITIES):
        assert hits(f"spec: {{containers: [{{securityContext: {{capabilities: {{add: [{cap}]}}}}}}]}}",
                    "baseline") == set(), cap
    assert len(BASELINE_CAPABILITIES) == 13
    # names are compared exactly, as PSA does: the CAP_ prefix is not the same capability name
    assert hits("spec: {containers: [{securityContext: {capabilities: {add: [CAP_CHOWN]}}}]}", "baseline") == {
        "HC-K8S-004"}


def test_seccomp_baseline_reads_annotations_before_v1_19_and_fields_after() -> None:
    ann = "metadata: {annotations: {seccomp.security.alpha.kubernetes.io/pod: unconfined}}"
    field = "spec: {securityContext: {seccompProfile: {type: Unconfined}}}"
    assert hits(ann, "baseline", "v1.18") == {"HC-K8S-010"}
    assert hits(ann, "baseline", "v1.19") == set()
    assert hits(field, "baseline", "v1.18") == set()
    assert hits(field, "baseline", "v1.19") == {"HC-K8S-010"}
    ok = "metadata: {annotations: {container.seccomp.security.alpha.kubernetes.io/app: docker/default}}"
    assert hits(ok, "baseline", "v1.18") == set()


@pytest.mark.parametrize(("since", "names"), SYSCTLS_BY_VERSION[1:])
def test_sysctls_join_the_safe_set_at_their_version(since: tuple[int, int], names: frozenset[str]) -> None:
    # documented: ip_local_reserved_ports v1.27; tcp_keepalive_time, tcp_fin_timeout, tcp_keepalive_intvl,
    # tcp_keepalive_probes v1.29; tcp_rmem/tcp_wmem v1.32 (PSA sysctlsAllowedV1Dot27/29/32)
    for name in sorted(names):
        patch = f"spec: {{securityContext: {{sysctls: [{{name: {name}, value: '1'}}]}}}}"
        assert hits(patch, "baseline", f"v1.{since[1] - 1}") == {"HC-K8S-011"}, name
        assert hits(patch, "baseline", f"v1.{since[1]}") == set(), name


def test_sysctl_boundaries_named_in_the_docs() -> None:
    by_name = {n: since for since, names in SYSCTLS_BY_VERSION for n in names}
    assert by_name["net.ipv4.ip_unprivileged_port_start"] == (1, 0)
    assert by_name["net.ipv4.ip_local_reserved_ports"] == (1, 27)
    assert by_name["net.ipv4.tcp_keepalive_time"] == (1, 29)
    assert by_name["net.ipv4.tcp_rmem"] == (1, 32)


def test_selinux_container_engine_t_allowed_from_v1_31() -> None:
    patch = "spec: {securityContext: {seLinuxOptions: {type: container_engine_t}}}"
    assert hits(patch, "baseline", "v1.30") == {"HC-K8S-008"}
    assert hits(patch, "baseline", "v1.31") == set()


def test_host_probes_control_starts_at_v1_34() -> None:
    patch = "spec: {containers: [{readinessProbe: {tcpSocket: {host: 1.2.3.4, port: 1}}}]}"
    assert hits(patch, "baseline", "v1.33") == set()
    assert hits(patch, "baseline", "v1.34") == {"HC-K8S-012"}


WINDOWS_BARE = NO_SECURITY_CONTEXT + "  os: {name: windows}\n"


def test_windows_pods_exempt_from_linux_only_restricted_controls_since_v1_25() -> None:
    # restricted: allowPrivilegeEscalation, seccomp and capabilities are Linux-only from v1.25
    assert hits("", "restricted", "v1.24", base=WINDOWS_BARE) == {
        "HC-K8S-021", "HC-K8S-022", "HC-K8S-024", "HC-K8S-025"}
    assert hits("", "restricted", "v1.25", base=WINDOWS_BARE) == {"HC-K8S-022"}


def test_user_namespace_relaxations_since_v1_35() -> None:
    # KEP-127 / PSA v1.35: hostUsers: false skips runAsNonRoot and runAsUser (restricted) and relaxes
    # procMount under baseline only; restricted still requires the default procMount.
    userns = "spec: {hostUsers: false, securityContext: {runAsNonRoot: false, runAsUser: 0}}"
    assert hits(userns, "restricted", "v1.34") == {"HC-K8S-022", "HC-K8S-023"}
    assert hits(userns, "restricted", "v1.35") == set()
    unmasked = "spec: {hostUsers: false, containers: [{securityContext: {procMount: Unmasked}}]}"
    assert hits(unmasked, "baseline", "v1.34") == {"HC-K8S-009"}
    assert hits(unmasked, "baseline", "v1.35") == set()
    assert hits(unmasked, "restricted", "v1.35") == {"HC-K8S-009"}
    # hostUsers: true (or unset) relaxes nothing
    assert hits("spec: {hostUsers: true, securityContext: {runAsUser: 0}}", "restricted", "v1.35") == {"HC-K8S-023"}


def test_init_and_ephemeral_containers_are_checked_with_their_own_field_paths() -> None:
    w = pod("""
spec:
  initContainers: [{name: init, image: i, securityContext: {privileged: true}}]
  ephemeralContainers: [{name: dbg, image: d, securityContext: {privileged: true}}]
""")
    result = evaluate([w], Policy(), "pss-baseline", LATEST)
    assert sorted((v.container, v.field) for v in result.violations) == [
        ("dbg", "spec.ephemeralContainers[0].securityContext.privileged"),
        ("init", "spec.initContainers[0].securityContext.privileged"),
    ]


def test_versions_above_the_newest_revision_clamp_like_psa() -> None:
    assert V("v1.99") == LATEST == V("latest") == V(None)
    assert V("1.30") == (1, 30)
    assert [r.id for r in pss_rules("restricted", V("v1.99"))] == [r.id for r in pss_rules("restricted", LATEST)]
