"""`fengqiao demo`: a believable demo centre, filed through the same services as real cases.

Running it again finds the same cases (their intake keys are fixed), so it never duplicates.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from typing import Any

from fengqiao.cases.service import NewCase, PartyInfo
from fengqiao.mediation_room.texts import ROLE_LABELS
from fengqiao.mediation_room.tokens import Role
from fengqiao.settings import Settings

DEMO_CASES: list[dict[str, Any]] = [
    {
        "key": "demo-labor",
        "description": "我在县城建筑工地干了五个月，包工头刘某拖欠我和另外十一个工友工资共18万元，"
        "说等甲方结款，过年前必须要回来。",
        "type": ("labor", "劳动争议"),
        "risk": "yellow",
        "applicant": ("王建国", "13800000001"),
        "respondent": ("刘某", "13900000002"),
        "answers": {"amount": 180000, "where": "城关镇锦绣家园工地", "wants": "结清工资"},
    },
    {
        "key": "demo-neighbor",
        "description": "楼上邻居家卫生间漏水，把我家天花板泡坏了，找他好几次都不管。",
        "type": ("neighbor", "邻里纠纷"),
        "risk": "blue",
        "applicant": ("李秀英", "13700000003"),
        "respondent": ("赵先生", None),
        "answers": {"where": "城关镇幸福小区3栋", "wants": "修好漏水并赔偿装修损失"},
    },
    {
        "key": "demo-traffic",
        "description": "上周骑电动车被一辆小货车刮倒，腿骨折住院，医药费花了2.3万元，对方保险公司只肯赔一半。",
        "type": ("traffic", "交通事故纠纷"),
        "risk": "blue",
        "applicant": ("陈志强", "13600000004"),
        "respondent": ("孙师傅", "13500000005"),
        "answers": {"amount": 23000, "wants": "按责任比例赔偿医药费和误工费"},
    },
    {
        "key": "demo-property",
        "description": "物业说我家欠物业费3600元，把我家的水停了，家里还有八十岁的老人。",
        "type": ("property_mgmt", "物业纠纷"),
        "risk": "yellow",
        "applicant": ("周桂兰", "13400000006"),
        "respondent": ("安居物业公司", "0931-8888888"),
        "answers": {"amount": 3600, "wants": "先恢复供水，再协商物业费"},
    },
]


def run_demo(as_json: bool = False) -> int:
    # The demo signs with codes of its own and pyHanko remarks on stamp layout: neither is
    # anything a newcomer should act on, and the codes to use appear in `serve`'s log.
    logging.getLogger("fengqiao.documents.otp").setLevel(logging.ERROR)
    logging.getLogger("pyhanko").setLevel(logging.ERROR)
    settings = Settings.from_env().with_secret()
    result = asyncio.run(build_demo(settings))
    from fengqiao.documents.notify import DEV_INBOX

    # What the parties would have received, when WeChat and SMS are not configured.
    result["dev_inbox"] = os.path.join(os.path.abspath(settings.data_dir), DEV_INBOX)
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(f"演示中心已就绪：{result['centre']}")
        print(f"服务地址（先运行 `fengqiao serve`）：{result['base_url']}")
        for case in result["cases"]:
            print(f"  案件编号：{case['code']}  {case['type_name']}  进度：{case['progress_url']}")
        print(f"健康检查：{result['health_url']}")
        print(f"工作台：{result['console_url']}  看板：{result['dashboard_url']}")
        print(
            f"工作人员账号：{', '.join(s['username'] for s in result['staff'])}"
            f"（密码 {result['staff_password']}）"
        )
        print(
            "签名和盖章的短信验证码：未配置短信服务时显示在 `fengqiao serve` 的日志里"
            f"（当事人、调解员 {DEMO_MEDIATOR}、印章管理员 yinzhang；grep 验证码）"
        )
        agreement = result["agreement"]
        print(f"调解协议书 {agreement['code']}：核验 {agreement['verify_url']}")
        for name, url in agreement["sign_urls"].items():
            print(f"  {name} 签署：{url}")
        sealed = result["sealed_agreement"]
        print(f"已生效的调解协议书 {sealed['code']}：下载 {sealed['pdf_url']}  核验 {sealed['verify_url']}")
        for name, url in sealed["delivery_urls"].items():
            print(f"  {name} 签收送达：{url}")
        booking = result["booking"]
        print(f"调解预约：{booking['case_page_url']}  日程：{booking['console_url']}")
        for name, url in booking["party_urls"].items():
            print(f"  {name} 确认时间：{url}")
        room = result["room"]
        print("视频调解室（现在即可进入）：")
        for item in room["participants"].values():
            print(f"  {item['name']}（{ROLE_LABELS[Role(item['role'])]}）：{item['url']}")
        print_walkthrough(result)
    return 0


def print_walkthrough(result: dict[str, Any]) -> None:
    """The whole path in the order a centre walks it, for a newcomer's first ten minutes."""
    base = result["base_url"]
    neighbor = next(c for c in result["cases"] if c["type"] == "neighbor")
    labor = next(c for c in result["cases"] if c["type"] == "labor")
    agreement = result["agreement"]
    steps = [
        f"窗口人员 chuangkou 登录 {base}/console/，打开新案件 {neighbor['code']}，"
        "看纠纷情况和当事人陈述（微信来的案件还有对话记录），在“当事人”里补全被申请人电话，"
        "在“操作”里分流",
        f"调解员 {DEMO_MEDIATOR} 登录，打开劳动争议案件 {labor['code']}：预约、当事人确认情况都在案件页",
        "用上面三个视频调解室链接（调解员在电脑上，两位当事人用手机）进入调解室",
        f"{DEMO_MEDIATOR} 在案件页打开调解协议书 {agreement['code']}，当事人用上面的签署链接签名"
        "（当事人的验证码也在服务日志里），签名后在同一页点“我同意电子送达”（没有这一步无法电子送达），"
        "调解员签名（验证码在服务日志里）",
        "印章管理员 yinzhang 登录，在同一协议页盖章；随后 "
        f"{DEMO_MEDIATOR} 回到协议页电子送达、下载司法确认材料（印章管理员只盖章）",
        "当事人收到送达消息：未配置微信时，发给当事人的消息（含链接）逐条记在 "
        f"{result.get('dev_inbox', '数据目录下的 dev-messages.txt')}，用其中的送达链接打开当事人签收页；"
        "进度通知里的链接（/h5/case/…）是当事人自己的案件空间：提交证据、给调解员留言",
        f"领导 zhuren 登录看板 {result['dashboard_url']}",
    ]
    print("十分钟走一遍：")
    for n, step in enumerate(steps, 1):
        print(f"  {n}. {step}")


async def build_demo_cases(settings: Settings) -> dict[str, Any]:
    from fengqiao.services import build_services

    services = await build_services(settings)
    base = settings.public_url.rstrip("/")
    try:
        filed = []
        for item in DEMO_CASES:
            type_code, type_name = item["type"]
            (a_name, a_phone), (r_name, r_phone) = item["applicant"], item["respondent"]
            case = await services.cases.file_case(
                NewCase(
                    description=str(item["description"]),
                    channel="console",
                    actor="demo",
                    type_code=type_code,
                    type_name=type_name,
                    risk=str(item["risk"]),
                    # A WeChat identity each, so links reach them (through the log while
                    # WeChat is not configured) and delivery succeeds.
                    applicant=PartyInfo(
                        name=a_name, phone=a_phone, openid=f"demo-{item['key']}-1", channel="mp"
                    ),
                    respondent=PartyInfo(
                        name=r_name, phone=r_phone, openid=f"demo-{item['key']}-2", channel="mp"
                    ),
                    answers=dict(item["answers"]),
                    intake_key=str(item["key"]),
                )
            )
            filed.append(
                {
                    "code": case.code,
                    "type": type_code,
                    "type_name": type_name,
                    "risk": case.risk,
                    "progress_url": f"{base}/h5/progress?code={case.code}",
                    "progress_api": f"{base}/api/v1/cases/{case.code}/progress",
                }
            )
        from fengqiao.cases.demo import add_lifecycle_demo

        lifecycle = await add_lifecycle_demo(services, {c["type"]: c["code"] for c in filed}, base)
        return {
            **lifecycle,
            "centre": settings.centre_name,
            "base_url": base,
            "health_url": f"{base}/healthz",
            "openapi_url": f"{base}/api/v1/openapi.json",
            "cases": filed,
        }
    finally:
        await services.close()


# --- documents: an agreement for the demo labour case, ready to preview and sign ----------
DEMO_MEDIATOR = "zhangming"
DEMO_AGREEMENT: dict[str, Any] = {
    "ids": ("110101198001011234", "110101197502023456"),
    "addresses": ("县城关镇锦绣家园5栋1单元", "县城关镇建设路18号"),
    # Written by the mediator in the third person, not the applicant's complaint as typed.
    "facts": "申请人王建国在被申请人刘某承包的城关镇锦绣家园工地务工五个月。刘某以甲方尚未结款为由，"
    "未支付申请人工资。申请人多次催要未果，向县综治中心申请调解。",
    "disputed_matters": "拖欠工资的数额和支付期限。",
    "responsibilities": {"王建国": "无", "刘某": "未按约定支付工资，应承担支付责任。"},
    "obligation": {
        "obligor": "刘某",
        "obligee": "王建国",
        "kind": "payment",
        "description": "拖欠工资",
        "amount": "180000",
        "method": "bank_transfer",
        "account": {
            "holder": "王建国",
            "bank": "中国农业银行城关支行",
            "number": "6228480000000000001",
        },
        "default_clause": "逾期未付的，王建国可就未付款项向人民法院申请强制执行。",
    },
}


async def build_demo_agreement(settings: Settings, case_code: str) -> dict[str, Any]:
    """Draft, fill and issue the labour case's agreement; the parties' links sign it."""
    from datetime import date, timedelta

    from fengqiao.documents.viewer import staff_viewer
    from fengqiao.services import build_services

    services = await build_services(settings, migrate=False)
    # The booked mediator, who has a console login: they sign this agreement on its page.
    mediator = staff_viewer(DEMO_MEDIATOR, "张明")
    try:
        agreements = services.documents.agreements
        draft = await agreements.draft(case_code, mediator)
        if draft["status"] == "draft":
            data = draft["data"]
            for party, id_number, address in zip(
                data["parties"], DEMO_AGREEMENT["ids"], DEMO_AGREEMENT["addresses"], strict=False
            ):
                party.update(id_number=id_number, address=address)
            deadline = (date.today() + timedelta(days=30)).isoformat()
            await agreements.update_draft(
                draft["code"],
                mediator,
                {
                    "parties": data["parties"],
                    "facts": DEMO_AGREEMENT["facts"],
                    "disputed_matters": DEMO_AGREEMENT["disputed_matters"],
                    "responsibilities": DEMO_AGREEMENT["responsibilities"],
                    "obligations": [{**DEMO_AGREEMENT["obligation"], "deadline": deadline}],
                },
            )
            await agreements.issue(draft["code"], mediator)
        links = await agreements.links(draft["code"], mediator)
        summary = await agreements.summary(draft["code"], mediator)
        names = {str(s.get("party_id")): s.get("name") for s in summary["data"]["parties"]}
        return {
            "code": summary["code"],
            "status": summary["status"],
            "sign_urls": {names.get(pid, pid): url for pid, url in links.items()},
            "verify_url": summary["verify_url"],
            "api": f"{settings.public_url.rstrip('/')}/api/v1/documents/{summary['code']}",
        }
    finally:
        await services.close()


# --- booking: a small registry with hours, and a confirmed session for the labour case -----
DEMO_ORGANISATIONS = """code,name,kind,region,address,phone
CG-RMTJ,城关镇人民调解委员会,committee,城关镇,城关镇人民路1号,0000-1001
ZX-LAB,县劳动争议调解室,professional,城关镇,县综治中心二楼201,0000-1002
ZX-WY,县物业纠纷调解室,professional,城关镇,县综治中心二楼202,0000-1003
ZX-JT,县交通事故调解室,professional,城关镇,县交警大队一楼,0000-1004
ZX-HY,县婚姻家庭调解室,professional,城关镇,县妇联三楼,0000-1005
FY-SDDJ,县法院诉调对接中心,court,城关镇,县人民法院立案大厅,0000-1006
CG-JTDJ,城关派出所警调对接室,police,城关镇,城关派出所,0000-1007
"""
DEMO_MEDIATORS = """\
code,name,organisation,title,skills,languages,region,capacity,subsidy_yuan,username,hours,rating
D001,张明,ZX-LAB,专业调解员,labor;debt,普通话,城关镇,8,200,zhangming,"mon-fri 09:00-12:00,14:30-17:30",4.7
D002,次仁卓玛,CG-RMTJ,人民调解员,neighbor;marriage_family;labor,普通话;藏语,城关镇,6,150,cirenzhuoma,"mon-fri 09:30-12:00,15:00-18:00",4.8
D003,李华,ZX-JT,律师,traffic;personal_injury,普通话,城关镇,6,300,lihua,"mon-sat 14:00-18:00",4.5
D004,王秀兰,ZX-WY,专业调解员,property_mgmt;neighbor,普通话;方言,城关镇,8,150,wangxiulan,"mon-fri 09:00-12:00",4.2
D005,扎西,ZX-HY,人民调解员,marriage_family;neighbor,藏语;普通话,东城乡,5,150,zhaxi,"tue-sat 10:00-12:00,15:00-17:00",4.6
D006,赵法官,FY-SDDJ,法官,contract;debt;labor,普通话,城关镇,4,0,zhaofaguan,"mon-fri 09:00-11:30",
D007,刘警官,CG-JTDJ,警官,neighbor;traffic,普通话,城关镇,4,0,liujingguan,"mon-fri 15:00-17:30",
"""  # noqa: E501


async def build_demo_booking(settings: Settings, case_code: str) -> dict[str, Any]:
    """Registry, then the labour case booked with the top recommendation and confirmed by both
    parties and the mediator. Running it again reuses the booking."""
    from fengqiao.booking.actor import Actor
    from fengqiao.services import build_services

    services = await build_services(settings, migrate=False)
    booking = services.booking
    base = settings.public_url.rstrip("/")
    try:
        await booking.registry.import_csv("organisations", DEMO_ORGANISATIONS, "demo")
        report = await booking.registry.import_csv("mediators", DEMO_MEDIATORS, "demo")
        if report.errors:
            raise RuntimeError("; ".join(report.errors))
        existing = await booking.flow.for_case(case_code)
        if existing:
            view = existing[0]
        else:
            # The mediator with a console login (zhangming), so the newcomer can act as them.
            mediators = await booking.registry.mediators()
            chosen = next(m for m in mediators if m.username == DEMO_MEDIATOR)
            # A video session: the demo opens its room at once, so the case page says so too.
            view = await booking.flow.propose(case_code, chosen.id, Actor("demo", staff=True),
                                              mode="video")
            first = view["slots"][0]["id"]
            for party in view["parties"]:
                actor = Actor(f"party:{party['id']}", party_id=party["id"])
                view = await booking.flow.choose(view["id"], actor, first, consent=True)
            demo_mediator = Actor("demo", mediator_id=view["mediator"]["id"])
            view = await booking.flow.accept(view["id"], demo_mediator)
        mediator = await booking.registry.mediator(view["mediator"]["id"])
        assert mediator is not None
        return {
            "mediators": len(await booking.registry.mediators()),
            "organisations": len(await booking.registry.organisations()),
            "booking": {
                "id": view["id"],
                "status": view["status"],
                "mediator": view["mediator"]["name"],
                "starts_at": view["starts_at"],
                "ends_at": view["ends_at"],
                "when": view["when"],
                "place": view["place"],
            },
            "party_urls": {p["role_name"]: p["link"] for p in view["parties"]},
            "console_url": f"{base}/console/booking/{view['id']}",
            "case_page_url": f"{base}/console/booking/case/{case_code}",
            "ics_url": f"{base}/api/v1/booking/feeds/{mediator.ics_token}.ics",
            "mediator_login": mediator.username,
        }
    finally:
        await services.close()


async def build_demo_sealed(settings: Settings, case_code: str) -> dict[str, Any]:
    """A second agreement, signed by both parties and the mediator, sealed and served."""
    from fengqiao.documents.demo_sealed import build_sealed_agreement
    from fengqiao.services import build_services

    services = await build_services(settings, migrate=False)
    try:
        return await build_sealed_agreement(services, case_code, settings.public_url)
    finally:
        await services.close()


async def build_demo(settings: Settings) -> dict[str, Any]:
    """The whole demo centre: cases, staff, an agreement ready to sign, a confirmed booking."""
    result = await build_demo_cases(settings)
    labor = next(c for c in result["cases"] if c["type"] == "labor")
    result["agreement"] = await build_demo_agreement(settings, labor["code"])
    traffic = next(c for c in result["cases"] if c["type"] == "traffic")
    result["sealed_agreement"] = await build_demo_sealed(settings, traffic["code"])
    result["booking"] = await build_demo_booking(settings, labor["code"])
    booked = result["booking"]["booking"]
    result["room"] = await build_demo_room(settings, booked)
    return result


async def build_demo_room(settings: Settings, booked: dict[str, Any]) -> dict[str, Any]:
    """The video room of the demo booking, with a join link for the mediator and each party."""
    from fengqiao.mediation_room.sql_store import RoomService
    from fengqiao.storage.db import Database

    db = Database(settings.effective_database_url)
    try:
        starts_at, ends_at = await _open_demo_booking_now(db, int(booked["id"]))
        rooms = RoomService(db, settings.secret, settings.public_url)
        room_id = await rooms.room_for_booking(int(booked["id"]))
        links = await rooms.links(int(booked["id"]))
    finally:
        await db.dispose()
    return {
        "id": room_id,
        "booking_id": booked["id"],
        "starts_at": starts_at.isoformat(),
        "ends_at": ends_at.isoformat(),
        "links": {item["role"]: item["url"] for item in links.values()},
        "participants": links,
    }


async def _open_demo_booking_now(db: Any, booking_id: int) -> tuple[Any, Any]:
    """The demo's session runs from five minutes ago for an hour, so its room links open at
    once; a room a previous demo run ended is opened again."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from fengqiao.storage.models import Booking, Room

    now = datetime.now(UTC).replace(microsecond=0)
    starts_at, ends_at = now - timedelta(minutes=5), now + timedelta(minutes=55)
    async with db.transaction() as session:
        await session.execute(
            update(Booking)
            .where(Booking.id == booking_id)
            .values(starts_at=starts_at, ends_at=ends_at)
        )
        await session.execute(
            update(Room).where(Room.booking_id == booking_id).values(status="scheduled")
        )
    return starts_at, ends_at


if __name__ == "__main__":
    sys.exit(run_demo("--json" in sys.argv))
