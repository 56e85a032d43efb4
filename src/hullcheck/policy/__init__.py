"""Policy checks: manifests -> normalised workloads -> rules (PSS, production) -> violations.

Modules, one job each: ``yamlload`` (bounded typed YAML), ``manifests`` (workload model), ``rules``
(rule contract, versions), ``pss`` (Pod Security Standards), ``production`` (production profile),
``quantity`` (Kubernetes quantities), ``catalog`` (rule ids, profiles), ``config`` (policy file),
``engine`` (evaluation, modes, exceptions), ``report`` (table/JSON).
"""
