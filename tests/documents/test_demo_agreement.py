from fengqiao.demo import build_demo


async def test_demo_has_an_agreement_to_sign(settings):
    result = await build_demo(settings)
    agreement = result["agreement"]
    assert agreement["status"] == "signing"
    assert set(agreement["sign_urls"]) == {"王建国", "刘某"}
    assert all("/h5/sign/" in url and "?t=fq1." in url for url in agreement["sign_urls"].values())
    again = await build_demo(settings)  # running it again finds the same agreement
    assert again["agreement"]["code"] == agreement["code"]
