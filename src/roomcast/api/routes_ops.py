"""Operations endpoints: health and Prometheus metrics."""

from __future__ import annotations

import os

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from roomcast.api.deps import ServicesDep
from roomcast.api.schemas import HealthOut
from roomcast.storage.database import check_database

router = APIRouter(tags=["ops"])


@router.get("/health", responses={503: {"model": HealthOut}})
async def health(services: ServicesDep) -> JSONResponse:
    database = await check_database(services.engine)
    shared = await services.backends.health()
    if database["status"] != "ok":
        status = "fail"
    elif shared.get("status") != "ok":
        status = "degraded"
    else:
        status = "ok"
    body = {
        "status": status,
        "checks": {"database": database, "redis" if services.settings.redis_url else "backend": shared},
    }
    return JSONResponse(body, status_code=503 if status == "fail" else 200)


@router.get("/metrics", response_class=Response)
async def metrics() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
