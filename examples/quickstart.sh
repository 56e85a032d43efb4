#!/usr/bin/env bash
# The quick start: install hullcheck, build the example image from real Debian packages and old
# PyPI wheels (downloads are cached in examples/out/cache; later runs are offline), import the
# project's example advisory data, and scan the image. No advisory feed is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install -q --disable-pip-version-check -e .
python bench/images/build.py example --out examples/out

export HULLCHECK_CACHE_DIR="$PWD/examples/out/hullcheck-cache"
db=examples/out/example-advisories.db
python -m hullcheck db import --fresh --db "$db" examples/advisories >/dev/null

echo
echo "== hullcheck image inspect oci:examples/out/example/oci"
python -m hullcheck image inspect oci:examples/out/example/oci
echo
echo "== hullcheck scan oci:examples/out/example/oci"
python -m hullcheck scan oci:examples/out/example/oci --db "$db" \
  --format table --format json=examples/out/example-report.json
echo
echo "The JSON report is in examples/out/example-report.json"
