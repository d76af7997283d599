"""The platform's published trust material: the root certificate (the one trust anchor for
every signature and timestamp it makes) and the CRLs named in its certificates."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fengqiao import errors, keys
from fengqiao.web.kit.door import Call, Routes

routes = Routes()
NO_SUCH_CRL = "本平台不签发这份证书吊销列表。"


@routes.get(
    "/api/v1/trust/root-ca.pem",
    "public",
    summary="The platform's root CA certificate (PEM), to trust when checking signatures",
    media_type="application/x-pem-file",
)
async def root_ca_pem(call: Call[Any, Any]) -> web.Response:
    pem = call.app[keys.DOCUMENTS].proofs.root_ca_pem()
    return web.Response(
        body=pem,
        content_type="application/x-pem-file",
        headers={
            "Content-Disposition": 'attachment; filename="fengqiao-root-ca.pem"',
            "Cache-Control": "public, max-age=3600",
        },
    )


def _crl(call: Call[Any, Any], which: str) -> web.Response:
    data = call.app[keys.DOCUMENTS].proofs.published_crl(which)
    if data is None:
        raise errors.NotFound("not_found", NO_SUCH_CRL)
    headers = {"Cache-Control": "public, max-age=600"}
    return web.Response(body=data, content_type="application/pkix-crl", headers=headers)


@routes.get(
    "/api/v1/trust/issuing-ca.crl",
    "public",
    summary="Current CRL (DER) of the issuing CA: signer and time-stamping certificates",
    media_type="application/pkix-crl",
)
async def issuing_crl(call: Call[Any, Any]) -> web.Response:
    return _crl(call, "issuing-ca")


@routes.get(
    "/api/v1/trust/root-ca.crl",
    "public",
    summary="Current CRL (DER) of the root CA: the issuing CA's status",
    media_type="application/pkix-crl",
    errors=(404,),
)
async def root_crl(call: Call[Any, Any]) -> web.Response:
    return _crl(call, "root-ca")
