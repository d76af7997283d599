"""The platform's published trust material: the root certificate (the one trust anchor for
every signature and timestamp it makes) and the CRLs named in its certificates."""

from __future__ import annotations

from aiohttp import web

from fengqiao import keys
from fengqiao.web.errors import ApiError
from fengqiao.web.openapi import documented

_CACHE = "public, max-age=3600"


@documented("The platform's root CA certificate (PEM), to trust when checking signatures",
            errors=(), response={"type": "string"})
async def root_ca_pem(request: web.Request) -> web.Response:
    pem = request.app[keys.DOCUMENTS].proofs.root_ca_pem()
    return web.Response(body=pem, content_type="application/x-pem-file", headers={
        "Content-Disposition": 'attachment; filename="fengqiao-root-ca.pem"',
        "Cache-Control": _CACHE})


def _crl(request: web.Request, which: str) -> web.Response:
    data = request.app[keys.DOCUMENTS].proofs.published_crl(which)
    if data is None:
        raise ApiError(404, "not_found", "本平台不签发这份证书吊销列表。")
    return web.Response(body=data, content_type="application/pkix-crl",
                        headers={"Cache-Control": "public, max-age=600"})


@documented("Current CRL (DER) of the issuing CA: signer and time-stamping certificates",
            errors=(), response={"type": "string"})
async def issuing_crl(request: web.Request) -> web.Response:
    return _crl(request, "issuing-ca")


@documented("Current CRL (DER) of the root CA: the issuing CA's status",
            errors=(404,), response={"type": "string"})
async def root_crl(request: web.Request) -> web.Response:
    return _crl(request, "root-ca")


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/trust/root-ca.pem", root_ca_pem)
    app.router.add_get("/api/v1/trust/issuing-ca.crl", issuing_crl)
    app.router.add_get("/api/v1/trust/root-ca.crl", root_crl)
