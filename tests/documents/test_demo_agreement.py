from fengqiao.demo import build_demo


async def test_demo_has_an_agreement_to_sign(settings):
    result = await build_demo(settings)
    agreement = result["agreement"]
    assert agreement["status"] == "signing"
    assert set(agreement["sign_urls"]) == {"王建国", "刘某"}
    assert all("/h5/sign/" in url and "?t=fq1." in url for url in agreement["sign_urls"].values())
    again = await build_demo(settings)  # running it again finds the same agreement
    assert again["agreement"]["code"] == agreement["code"]


async def test_demo_has_a_sealed_agreement_that_lasts(settings):
    from datetime import UTC, datetime

    from fengqiao.documents.ltv import simulate_future_validation
    from fengqiao.services import build_services

    result = await build_demo(settings)
    sealed = result["sealed_agreement"]
    assert set(sealed) >= {"code", "pdf_url", "verify_url"} and sealed["status"] == "sealed"
    assert "/api/v1/documents/" in sealed["pdf_url"] and "?t=fq1." in sealed["pdf_url"]
    again = await build_demo(settings)
    assert again["sealed_agreement"]["code"] == sealed["code"]
    services = await build_services(settings, migrate=False)
    try:
        docs = services.documents
        checked = await docs.proofs.verify_code(sealed["code"])
        assert checked["ok"] and checked["final"], checked["message"]
        assert [s["role"] for s in checked["signatures"]] == ["party", "party", "mediator",
                                                              "seal"]
        # Separation of duties: the seal keeper applies the seal, not the mediator who signed.
        mediator_sig, seal_sig = checked["signatures"][2:]
        assert mediator_sig["signer"] == "张**" and seal_sig["operator"] == "孙印章"
        from fengqiao.cases.demo import DEMO_USERS
        from fengqiao.documents.demo_sealed import SEAL_KEEPER

        assert (SEAL_KEEPER[0], "seal_keeper", SEAL_KEEPER[1]) in [u[:3] for u in DEMO_USERS]
        assert SEAL_KEEPER[2] in [u[4] for u in DEMO_USERS if u[0] == SEAL_KEEPER[0]]
        _, attempts = await docs.delivery.deliveries(sealed["code"])
        assert len(attempts) == 2 and all(a.status == "sent" for a in attempts)
        async with docs.db.read() as session:
            from fengqiao.documents import records

            row = await records.load_doc(session, sealed["code"])
            actors = {e.event: e.actor for e in await records.events_of(session, row.id)}
        # What the audit certificate lists: the mediator signs, the seal keeper seals.
        assert actors["sealed"].endswith("（用印人：孙印章）") and "张调解" not in actors["sealed"]
        pdf = await services.files.get(row.file_key)
    finally:
        await services.close()
    checks = await simulate_future_validation(pdf, [docs.ca.trust_root], years=2,
                                              now=datetime.now(UTC))
    assert len(checks) == 4 and all(c.passed for c in checks), checks
