"""docker-compose services and Dockerfiles under the production profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullcheck.policy.config import Policy
from hullcheck.policy.dockerfile import parse_dockerfile
from hullcheck.policy.engine import evaluate
from hullcheck.policy.inputs import load_inputs
from hullcheck.policy.rules import LATEST

DIGEST = "sha256:" + "b" * 64
POLICY = Policy(parameters={"allowed_registries": ["registry.example.com"]})

GOOD_COMPOSE = f"""
name: shop
services:
  web:
    image: registry.example.com/shop/web@{DIGEST}
    user: "10001:10001"
    read_only: true
    cap_drop: [ALL]
    mem_limit: 512m
    cpus: 0.5
    volumes: [data:/var/lib/web]
  worker:
    image: registry.example.com/shop/worker@{DIGEST}
    user: app
    read_only: true
    cap_drop: [ALL]
    cap_add: [NET_BIND_SERVICE]
    deploy: {{resources: {{limits: {{cpus: "1", memory: 1g}}}}}}
volumes: {{data: {{}}}}
"""


def check(tmp_path: Path, name: str, text: str) -> list[tuple[str, str, str]]:
    f = tmp_path / name
    f.write_text(text)
    inputs = load_inputs([f])
    result = evaluate(inputs.workloads, POLICY, "production", LATEST, services=inputs.services,
                      dockerfiles=inputs.dockerfiles)
    return [(v.rule, v.resource.name, v.field) for v in result.violations]


def test_compliant_compose_file_passes(tmp_path: Path) -> None:
    assert check(tmp_path, "compose.yaml", GOOD_COMPOSE) == []


@pytest.mark.parametrize(
    ("patch", "rule", "field"),
    [
        ("    privileged: true\n", "HC-DC-001", "services.web.privileged"),
        ("    network_mode: host\n", "HC-DC-002", "services.web.network_mode"),
        ("    pid: host\n", "HC-DC-002", "services.web.pid"),
        ("    security_opt: ['seccomp:unconfined']\n", "HC-DC-011", "services.web.security_opt[0]"),
    ],
)
def test_each_compose_rule(tmp_path: Path, patch: str, rule: str, field: str) -> None:
    text = GOOD_COMPOSE.replace("    volumes: [data:/var/lib/web]\n", "    volumes: [data:/var/lib/web]\n" + patch)
    assert check(tmp_path, "docker-compose.yml", text) == [(rule, "web", field)]


@pytest.mark.parametrize(
    ("old", "new", "rules"),
    [
        ("[data:/var/lib/web]", "['/var/run/docker.sock:/var/run/docker.sock']", {"HC-DC-003"}),
        ("[data:/var/lib/web]", "['./conf:/etc/web:ro', {type: bind, source: /srv, target: /srv}]", {"HC-DC-004"}),
        ('user: "10001:10001"', "user: root", {"HC-DC-005"}),
        ('user: "10001:10001"', "user: '0:0'", {"HC-DC-005"}),
        ("read_only: true\n    cap_drop: [ALL]\n    mem", "cap_drop: [ALL]\n    mem", {"HC-DC-006"}),
        ("cap_drop: [ALL]\n    mem", "cap_drop: [NET_RAW]\n    mem", {"HC-DC-007"}),
        ("mem_limit: 512m", "mem_limit: lots", {"HC-DC-008"}),
        ("cpus: 0.5", "cpus: 0", {"HC-DC-008"}),
        (f"web@{DIGEST}", "web:1.0", {"HC-DC-009"}),
        (f"registry.example.com/shop/web@{DIGEST}", f"nginx@{DIGEST}", {"HC-DC-010"}),
    ],
)
def test_compose_service_fields(tmp_path: Path, old: str, new: str, rules: set[str]) -> None:
    assert old in GOOD_COMPOSE
    hits = check(tmp_path, "compose.yaml", GOOD_COMPOSE.replace(old, new, 1))
    assert {r for r, name, _ in hits} == rules and {name for _, name, _ in hits} == {"web"}


GOOD_DOCKERFILE = f"""# syntax=docker/dockerfile:1
FROM registry.example.com/base/python:3.12@{DIGEST} AS build
RUN pip install --no-cache-dir -r requirements.txt
FROM registry.example.com/base/distroless:nonroot@{DIGEST}
COPY --from=build /app /app
USER 65532:65532
ENTRYPOINT ["/app/run"]
"""


def test_compliant_dockerfile_passes(tmp_path: Path) -> None:
    assert check(tmp_path, "Dockerfile", GOOD_DOCKERFILE) == []


@pytest.mark.parametrize(
    ("old", "new", "rule", "line"),
    [
        ("USER 65532:65532\n", "", "HC-DF-001", 4),
        ("USER 65532:65532", "USER root", "HC-DF-001", 6),
        ("COPY --from=build /app /app", "ADD https://example.com/app.tgz /app", "HC-DF-002", 5),
        ("RUN pip", "RUN curl -fsSL https://get.example.com | sudo bash && pip", "HC-DF-003", 3),
        ("RUN pip", "RUN wget -qO- https://x.example/i.sh | sh -s -- -y && pip", "HC-DF-003", 3),
        ("COPY --from=build", "COPY --from=docker.io/library/busybox:1.36@" + DIGEST, "HC-DF-006", 5),
        ("ENTRYPOINT", "ENV DB_PASSWORD=hunter2\nENTRYPOINT", "HC-DF-007", 7),
        ("ENTRYPOINT", "ARG GITHUB_TOKEN=ghp_abc\nENTRYPOINT", "HC-DF-007", 7),
    ],
)
def test_dockerfile_rules(tmp_path: Path, old: str, new: str, rule: str, line: int) -> None:
    assert old in GOOD_DOCKERFILE
    hits = check(tmp_path, "Dockerfile", GOOD_DOCKERFILE.replace(old, new, 1))
    assert [(r, f.split(":")[0]) for r, _, f in hits] == [(rule, f"line {line}")]


def test_from_latest_untagged_and_unpinned(tmp_path: Path) -> None:
    text = "FROM registry.example.com/base/alpine\nUSER 1000\n"
    hits = {r for r, _, _ in check(tmp_path, "app.Dockerfile", text)}
    assert hits == {"HC-DF-004", "HC-DF-005"}
    text = "FROM registry.example.com/base/alpine:3.20\nFROM scratch\nCOPY --from=0 / /\nUSER 1000\n"
    assert {r for r, _, _ in check(tmp_path, "Containerfile", text)} == {"HC-DF-005"}


def test_secret_checks_ignore_references_and_empty_args(tmp_path: Path) -> None:
    text = GOOD_DOCKERFILE.replace("ENTRYPOINT", "ARG NPM_TOKEN\nENV API_KEY=$API_KEY TOKEN_FILE=\nENTRYPOINT")
    assert check(tmp_path, "Dockerfile", text) == []


def test_parser_joins_continuations_and_keeps_heredocs() -> None:
    text = (
        "# escape=`\nFROM a\nRUN echo one `\n  # a comment inside\n  two\nRUN <<EOF\ncurl https://x | sh\nEOF\n"
        "USER 1\n"
    )
    ins = parse_dockerfile(text)
    assert [(i.line, i.keyword) for i in ins] == [(2, "FROM"), (3, "RUN"), (6, "RUN"), (9, "USER")]
    assert ins[1].args == "echo one  two"
    assert "curl https://x | sh" in ins[2].args


def test_directory_mixes_kinds(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(GOOD_DOCKERFILE)
    (tmp_path / "compose.yaml").write_text(GOOD_COMPOSE)
    (tmp_path / "pod.yaml").write_text("kind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n")
    inputs = load_inputs([tmp_path])
    assert (len(inputs.dockerfiles), len(inputs.services), len(inputs.workloads)) == (1, 2, 1)


# the shape `docker inspect CONTAINER` prints (Docker Engine API ContainerInspect), trimmed
DOCKER_INSPECT = f"""[
  {{
    "Id": "4f2c", "Name": "/web",
    "Config": {{"User": "", "Image": "nginx:1.27", "Env": ["PATH=/usr/bin"]}},
    "HostConfig": {{"Privileged": true, "NetworkMode": "host", "PidMode": "", "IpcMode": "private",
                    "ReadonlyRootfs": false, "CapAdd": ["SYS_ADMIN"], "CapDrop": null, "Memory": 0,
                    "NanoCpus": 0, "CpuQuota": 0, "CpuPeriod": 0, "SecurityOpt": ["seccomp=unconfined"],
                    "Binds": ["/var/run/docker.sock:/var/run/docker.sock"]}},
    "Mounts": [{{"Type": "bind", "Source": "/var/run/docker.sock", "Destination": "/var/run/docker.sock"}}]
  }},
  {{
    "Id": "9a1b", "Name": "/api",
    "Config": {{"User": "10001", "Image": "registry.example.com/shop/api@{DIGEST}"}},
    "HostConfig": {{"Privileged": false, "NetworkMode": "bridge", "ReadonlyRootfs": true, "CapAdd": null,
                    "CapDrop": ["ALL"], "Memory": 536870912, "NanoCpus": 500000000, "SecurityOpt": null}},
    "Mounts": [{{"Type": "volume", "Name": "data", "Source": "/var/lib/docker/volumes/data/_data"}}]
  }}
]"""


def test_docker_inspect_containers(tmp_path: Path) -> None:
    hits = check(tmp_path, "inspect.json", DOCKER_INSPECT)
    assert {name for _, name, _ in hits} == {"web"}  # the hardened container passes
    assert sorted((r, f) for r, _, f in hits) == [
        ("HC-DC-001", "[0].HostConfig.Privileged"),
        ("HC-DC-002", "[0].HostConfig.NetworkMode"),
        ("HC-DC-003", "[0].Mounts[0]"),
        ("HC-DC-005", "[0].Config.User"),
        ("HC-DC-006", "[0].HostConfig.ReadonlyRootfs"),
        ("HC-DC-007", "[0].HostConfig.CapAdd"),
        ("HC-DC-007", "[0].HostConfig.CapDrop"),
        ("HC-DC-008", "[0].HostConfig.Memory"),
        ("HC-DC-008", "[0].HostConfig.NanoCpus"),
        ("HC-DC-009", "[0].Config.Image"),
        ("HC-DC-010", "[0].Config.Image"),
        ("HC-DC-011", "[0].HostConfig.SecurityOpt[0]"),
    ]
