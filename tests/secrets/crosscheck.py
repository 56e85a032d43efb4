"""A small image holding the ``misconfigured`` benchmark image's planted secrets (the recipe's own
layers, without its Debian base) plus one file per token kind that Trivy also knows, for the
comparison in test_trivy.py."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hullcheck.image.writer import EmptyHistory, LayerSpec, Member, build_image, write_oci_layout
from tests.conftest import REPO
from tests.secrets import fakes as fk

sys.path.insert(0, str(REPO / "bench" / "images"))
import ocibuild
import recipes

AZ_KEY = fk.b64("x-azure-storage", 64)
BASE_FILE = "etc/ci/token.env"  # a secret in the base image's layer
BASE_TOKEN = fk.token("ghp_", 36, "x-base")
GCP_JSON, GCP_KEY = fk.gcp_service_account("x-gcp")

# path -> (content, hullcheck rule id, the secret as hullcheck delimits it)
CROSS_FILES: dict[str, tuple[str, str, str]] = {
    "srv/app/gitlab.env": (f"GITLAB_TOKEN={fk.token('glpat-', 20, 'x')}\n", "gitlab-pat", fk.token("glpat-", 20, "x")),
    "srv/app/slack.env": ("SLACK_BOT=xoxb-1234567890-1234567890123-" + fk.chars("x-slack", 24) + "\n", "slack-token",
                          "xoxb-1234567890-1234567890123-" + fk.chars("x-slack", 24)),
    "srv/app/stripe.env": (f"STRIPE_KEY={fk.token('sk_live_', 24, 'x')}\n", "stripe-secret-key",
                           fk.token("sk_live_", 24, "x")),
    "srv/app/npm.env": (f"NPM_TOKEN={fk.token('npm_', 36, 'x')}\n", "npm-access-token", fk.token("npm_", 36, "x")),
    "srv/app/pypirc": (f"[pypi]\nusername = __token__\npassword = {fk.token('pypi-AgEIcHlwaS5vcmc', 80, 'x')}\n",
                       "pypi-upload-token", fk.token("pypi-AgEIcHlwaS5vcmc", 80, "x")),
    "srv/app/hf.env": (f"HF_TOKEN={fk.token('hf_', 34, 'x')}\n", "hugging-face-token", fk.token("hf_", 34, "x")),
    "srv/app/oauth.env": (f"GH_OAUTH={fk.token('gho_', 36, 'x')}\n", "github-oauth", fk.token("gho_", 36, "x")),
    "srv/app/session.txt": (f"Authorization: Bearer {fk.jwt('x')}\n", "jwt", fk.jwt("x")),
    "srv/app/gcp.json": (GCP_JSON, "gcp-service-account", GCP_KEY),
    "srv/app/storage.env": (f"AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=hcfake;"
                            f"AccountKey={AZ_KEY};EndpointSuffix=core.windows.net\n",
                            "azure-storage-account-key", AZ_KEY),
}


def misconfigured_steps(tmp: Path) -> tuple[list[Any], dict[str, Any]]:
    """The recipe's own steps and ground truth (``planted_secrets``)."""
    ctx = ocibuild.Context(out=tmp)
    steps = list(recipes._misconfigured(ctx))
    return steps, ctx.truth["misconfigured"]


def build(tmp: Path) -> tuple[Path, dict[str, Any]]:
    """A one-file stand-in for the Debian base (its history ends in ``CMD ["bash"]`` like the
    real one: Trivy takes the layers up to a base image's CMD as base layers and does not scan
    them for secrets), the recipe's layers, then the cross-check layer before the recipe's
    trailing ENV/EXPOSE/CMD entries."""
    steps, truth = misconfigured_steps(tmp)
    base = [
        LayerSpec("ADD rootfs.tar / # debootstrap --variant=minbase bookworm",
                  members=(Member.file("etc/os-release", 'ID=debian\nVERSION_ID="12"\n'),
                           Member.file(BASE_FILE, f"GITHUB_TOKEN={BASE_TOKEN}\n"))),
        EmptyHistory('CMD ["bash"]'),
    ]
    last_layer = max(i for i, s in enumerate(steps) if isinstance(s, LayerSpec))
    cross = LayerSpec(
        "COPY cross/ /srv/app/ # buildkit",
        members=tuple(Member.file(p, content) for p, (content, _r, _s) in CROSS_FILES.items()),
    )
    steps = base + steps[: last_layer + 1] + [cross] + steps[last_layer + 1:]
    img = build_image(steps, recipes.MISCONFIGURED.config, tmp / "blobs")
    return write_oci_layout(tmp / "oci", [(img, "latest")]), truth
