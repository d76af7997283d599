"""The published root certificate and CRLs: what a court downloads to check signatures."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography import x509

from fengqiao import keys
from fengqiao.app import create_app


@pytest.fixture
async def client(settings):
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


async def test_root_certificate_and_crls_are_published(client) -> None:
    resp = await client.get("/api/v1/trust/root-ca.pem")
    assert resp.status == 200
    assert "attachment" in resp.headers["Content-Disposition"]
    root = x509.load_pem_x509_certificate(await resp.read())
    ca = client.app[keys.DOCUMENTS].ca
    assert root == ca.root_cert and root.subject == root.issuer
    resp = await client.get("/api/v1/trust/issuing-ca.crl")
    assert resp.status == 200 and resp.content_type == "application/pkix-crl"
    crl = x509.load_der_x509_crl(await resp.read())
    assert crl.is_signature_valid(ca.issuing_cert.public_key())
    resp = await client.get("/api/v1/trust/root-ca.crl")
    assert x509.load_der_x509_crl(await resp.read()).is_signature_valid(root.public_key())
    resp = await client.get("/api/v1/trust/other.crl")
    assert resp.status == 404
    spec = await (await client.get("/api/v1/openapi.json")).json()
    assert {"/api/v1/trust/root-ca.pem", "/api/v1/trust/issuing-ca.crl"} <= set(spec["paths"])
