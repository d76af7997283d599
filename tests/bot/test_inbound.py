"""`to_message` builds the same wechatpy objects that wechatpy.parse_message would."""

import pytest
from wechatpy import parse_message

from fengqiao.bot.inbound import Rejected, parse_xml, to_message

HEAD = (
    "<ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[o-1]]></FromUserName>"
    "<CreateTime>1700000000</CreateTime>"
)
SAMPLES = {
    "text": "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[邻居噪音]]></Content>"
    "<MsgId>1</MsgId>",
    "voice": "<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[m]]></MediaId>"
    "<Format><![CDATA[amr]]></Format><Recognition><![CDATA[欠薪]]></Recognition><MsgId>2</MsgId>",
    "image": "<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://x/p]]></PicUrl>"
    "<MediaId><![CDATA[m]]></MediaId><MsgId>3</MsgId>",
    "location": "<MsgType><![CDATA[location]]></MsgType><Location_X>23.1</Location_X>"
    "<Location_Y>113.3</Location_Y><Scale>20</Scale><Label><![CDATA[某地]]></Label><MsgId>4</MsgId>",
    "subscribe": "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>",
    "subscribe_scene": "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>"
    "<EventKey><![CDATA[qrscene_FQ2611-ABCDEF-7]]></EventKey><Ticket><![CDATA[t]]></Ticket>",
    "subscribe_product": "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>"
    "<EventKey><![CDATA[scanbarcode|ean13|6901234567892]]></EventKey>",
    "scan": "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event>"
    "<EventKey><![CDATA[FQ2611-ABCDEF-7]]></EventKey><Ticket><![CDATA[t]]></Ticket>",
    "click": "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event>"
    "<EventKey><![CDATA[MEDIATE]]></EventKey>",
    "unsubscribe": "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[unsubscribe]]></Event>",
    "template": "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[TEMPLATESENDJOBFINISH]]>"
    "</Event><MsgID>200163836</MsgID><Status><![CDATA[success]]></Status>",
    "unknown": "<MsgType><![CDATA[shortvideo_new]]></MsgType><MsgId>5</MsgId>",
}
ATTRIBUTES = ("type", "source", "target", "id", "content", "recognition", "media_id", "event",
              "key", "scene_id", "ticket", "status", "label", "location")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_to_message_matches_wechatpy(name):
    xml = f"<xml>{HEAD}{SAMPLES[name]}</xml>"
    ours, theirs = to_message(parse_xml(xml)), parse_message(xml)
    assert type(ours) is type(theirs)
    for attribute in ATTRIBUTES:
        assert getattr(ours, attribute, None) == getattr(theirs, attribute, None), attribute


def test_parse_xml_reads_cdata_text_and_nested_elements():
    xml = (
        "<xml><Content><![CDATA[a <b> & c]]></Content><Empty></Empty>"
        "<ScanCodeInfo><ScanType>qrcode</ScanType><ScanResult>x</ScanResult></ScanCodeInfo>"
        "<Escaped>1 &lt; 2</Escaped>\n</xml>"
    )
    assert parse_xml(xml) == {
        "Content": "a <b> & c",
        "Empty": "",
        "ScanCodeInfo": {"ScanType": "qrcode", "ScanResult": "x"},
        "Escaped": "1 < 2",
    }


@pytest.mark.parametrize(
    "body",
    [
        # A DTD the byte search cannot see: UTF-16 hides "<!DOCTYPE" from it; expat refuses it.
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "boom">]>'
        "<xml><Content>&e;</Content></xml>".encode("utf-16"),
        b"<xml><Content>&undefined;</Content></xml>",  # no DTD: no entity but XML's own
        b"<doc><Content>x</Content></doc>",
        b"<xml>text only</xml>",
        b"<xml><a></b></xml>",
    ],
    ids=["utf16-dtd", "undefined-entity", "wrong-root", "no-children", "mismatched"],
)
def test_parse_xml_refuses(body):
    with pytest.raises(Rejected) as refused:
        parse_xml(body)
    assert refused.value.status == 400
