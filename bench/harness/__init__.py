"""Side-by-side benchmark and accuracy harness: hullcheck against trivy and syft (see bench/run)."""
