"""The validating admission webhook: the same policy as ``hullcheck check``, enforced at admission.

Modules, one job each: ``review`` (bounded, strict AdmissionReview parsing), ``decide`` (the
request's object through the policy engine -> the AdmissionReview response), ``server`` (FastAPI
routes, uvicorn over HTTPS). The CLI is ``hullcheck serve admission`` (``hullcheck.cli.serve``).
"""
