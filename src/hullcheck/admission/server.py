"""The validating webhook over HTTP(S): FastAPI routes, run by uvicorn.

    POST /validate   an AdmissionReview in, an AdmissionReview out (HTTP 200, allowed or denied)
    GET  /healthz    "ok"

A request that is not a well-formed AdmissionReview (wrong content type, too large, too deep, not
JSON, no uid ...) gets HTTP 400 with a one-line plain-text message; the API server then applies
the webhook's ``failurePolicy``. The body is read in chunks and refused as soon as it passes the
limit, whatever Content-Length claims, so a huge body never sits in memory.
"""

from __future__ import annotations

import logging
import ssl
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from hullcheck import jsontext
from hullcheck.admission.decide import Settings, decide, response
from hullcheck.admission.review import MAX_BODY, AdmissionError, read_review
from hullcheck.errors import UsageError

log = logging.getLogger("hullcheck.admission")


class _BodyTooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise _BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _bad(message: str) -> PlainTextResponse:
    return PlainTextResponse(" ".join(message.split())[:300] + "\n", status_code=400)


def create_app(settings: Settings, max_body: int = MAX_BODY) -> FastAPI:
    app = FastAPI(title="hullcheck admission webhook", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok\n")

    @app.post("/validate")
    async def validate(request: Request) -> Response:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return _bad(f"content type must be application/json, not {ctype[:60]!r}")
        try:
            body = await _read_body(request, max_body)
        except _BodyTooLarge:
            return _bad(f"request body larger than {max_body} bytes")
        try:
            req = read_review(body, max_body)
        except AdmissionError as e:
            return _bad(e.diagnostics())
        decision = await run_in_threadpool(decide, req, settings)
        log.info(
            "uid=%s op=%s kind=%s namespace=%s name=%s user=%s dry_run=%s allowed=%s%s",
            req.uid, req.operation, req.kind.kind, req.namespace or "-", req.name or "-",
            req.user.username or "-", req.dry_run, decision.allowed,
            f" skipped={decision.skipped!r}" if decision.skipped else
            f" rules={','.join(sorted({v.rule for v in decision.violations})) or '-'}",
        )
        return Response(jsontext.dumps(response(req, decision), depth=0), media_type="application/json")

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s", request.url.path)
        return JSONResponse({"error": f"internal error: {type(exc).__name__}"}, status_code=500)

    return app


def tls_context_check(cert: Path, key: Path) -> None:
    """Load the certificate and key once before serving, so a bad pair is a one-line usage error
    instead of a traceback from inside uvicorn."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        ctx.load_cert_chain(str(cert), str(key))
    except FileNotFoundError as e:
        raise UsageError(f"TLS file not found: {e.filename}") from None
    except (ssl.SSLError, OSError) as e:
        raise UsageError(f"cannot load TLS certificate {cert} and key {key}: {e}") from None


def serve(settings: Settings, host: str, port: int, cert: Path | None, key: Path | None,
          insecure_http: bool = False, log_level: str = "info") -> None:
    import uvicorn

    ssl_args: dict[str, Any] = {}
    if not insecure_http:
        if cert is None or key is None:
            raise UsageError("the admission webhook serves HTTPS only: give --tls-cert and --tls-key "
                             "(or --insecure-http for local testing)")
        tls_context_check(cert, key)
        ssl_args = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, access_log=False,
                limit_concurrency=256, timeout_keep_alive=30, **ssl_args)
