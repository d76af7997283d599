"""Writes config/risk_training/generated.jsonl: red-risk training texts composed from parts.

No longer used by default (issue #21, third pass): a model trained on these templates learned
the templates — on texts written apart from them, recall was higher without them (docs/nlp.md).
Kept to compose texts for a new scenario family, to be read and rewritten by hand.

    python bench/risk_training_gen.py [--n 1600] [--seed 1]

Training data only. The evaluation file bench/data/risk_eval.jsonl is written by hand from
other scenarios and words and is never generated from these parts. Every red scene is mixed
with styles residents write in (no punctuation, spaces, dialect words, particles, typos),
and harmless scenes use the same frightening words (刀, 汽油, 跳, 毒死, 堵, 车) innocently.
"""

# ruff: noqa: E501 - the tables of scene parts read better one per line
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
R = random.Random()


def pick(*options: str) -> str:
    return R.choice(options)


SUBJ = ("我爸", "我哥", "我弟", "隔壁老刘", "对门那家男的", "邻居家儿子", "讨债的", "包工头", "那个老板",
        "前夫", "我前男友", "村里一个混混", "他家老大", "拆迁队的人", "一个喝醉的男的", "我舅", "我叔",
        "对方家属", "那个病人家属", "王某", "李老三", "收废品的那个人", "债主", "我老公", "俺家那口子",
        "我大伯", "他儿子", "物业经理", "一个外地人", "放贷的", "工友老张", "那个二流子", "他们家亲戚")
HOLD = ("提着", "拿着", "拎着", "抄起", "揣着", "带着", "举着", "扛着", "握着", "拿了", "带了", "掏出")
WEAPON = ("一把菜刀", "一把砍刀", "一把斧头", "斧子", "一把镰刀", "杀猪刀", "一把尖刀", "匕首", "一根钢管",
          "一根铁棍", "木棒", "一把铁锹", "锄头", "一桶汽油", "一壶汽油", "两瓶汽油", "一个煤气罐", "一瓶农药",
          "一瓶敌敌畏", "打火机和汽油", "土枪", "一把猎枪", "雷管", "炸药", "一瓶硫酸", "刀", "剪刀", "锤子")
PLACE = ("进了村委会办公室", "冲到我家门口", "站在我家院子里", "堵在工地门口", "守在小区门口", "去了镇政府",
         "在厂门口转来转去", "跑到学校门口", "追着我老公跑", "坐在公司前台", "闯进了我家", "去找村支书了",
         "在楼道里等我", "进了项目部", "在店门口骂", "蹲在他家门口", "去了老板家", "进了信访办")
THREAT = ("说不给宅基地证就点了", "说今天不还钱就砍死他", "扬言要跟我们同归于尽", "说谁敢过来就捅谁",
          "嚷嚷着今天要见血", "说要弄死我们全家", "说不赔钱谁也别想走", "说再不给工钱就把房子烧了",
          "说不给说法就拼命", "说今晚就动手", "说要让他们偿命", "喊着要杀人", "说今天一起死",
          "说要把办公室炸了", "说要泼在他身上", "说不给钱就点火", "要跟他拼了", "说要砍了他全家")
IMMINENT = ("现在", "刚才", "刚刚", "今晚", "就在刚才", "这会儿", "已经", "马上", "眼看着")
VEHICLE = ("铲车", "挖掘机", "挖机", "推土机", "大货车", "渣土车", "拖拉机", "三轮车", "面包车", "小轿车",
           "叉车", "吊车", "皮卡", "摩托车")
V_TARGET = ("我家大门", "我家院墙", "我家房子", "我们的棚子", "村委会的门", "我家门上", "人群", "我们几个人",
            "我老公", "围着的村民", "灵堂", "我家的厨房")
INSIDE = ("我奶奶还在屋里没出来", "孩子还在里面", "我妈还在家里", "屋里还有老人", "我们一家人都在屋里",
          "人都还在里面", "我爸还躺在床上")
CAPTOR = ("讨债的", "放高利贷的", "包工头", "对方的人", "几个社会人", "老板", "他们家的人", "催收的",
          "村里几个人", "那帮人")
VICTIM = ("我老公", "我儿子", "我爸", "我女儿", "我弟", "我们的会计", "村干部", "我老婆", "工友",
          "我哥", "我侄子")
DETAIN = ("锁在他们的车里拉走了", "关在一个仓库里", "扣在他们公司不让走", "绑在厂里", "关在他家地下室",
          "带走了现在联系不上", "锁在宾馆房间里", "押在他们车上", "关了一天一夜", "控制在办公室里")
RANSOM = ("说拿钱来领人", "说不还钱就别想回来", "说交了钱才放人", "要我们拿二十万去赎人",
          "说钱到了才放", "说不把钱凑齐就不放人", "让我们拿钱换人")
SELF = ("我", "俺", "我妈", "我爸", "我老公", "我儿子", "我女儿", "我姐", "一个工友", "我邻居大姐",
        "我们班一个学生", "我弟")
SELF_ACT = ("说活着没意思", "写了遗书", "把农药拿出来了", "站在楼顶上不肯下来", "爬上了塔吊",
            "说不想活了", "在河边坐着说要跳下去", "吃了一把安眠药", "说要喝药", "刚才割腕了",
            "把绳子都准备好了", "说要死给他们看", "说死了算了", "往桥边走了", "一直说要一了百了",
            "说活不下去了", "在天台上哭", "把自己锁在屋里说不想活", "交代了后事", "说要从楼上跳下去")
SELF_WHY = ("欠了一屁股网贷", "工钱一直要不到", "被人骗光了积蓄", "离婚后孩子被抢走", "被同学欺负",
            "拆迁款没拿到", "老板不给工伤赔偿", "家里房子被强拆", "被催收天天骂", "丈夫出轨还打人")
CROWD = ("全村人", "几十个工人", "村民们", "一百多个业主", "三十多个家长", "工友们", "几十号人", "家属们",
         "上百个村民", "二十多个农民工", "一大帮人", "好几十户人家", "全组的人", "投资人")
GO = ("明天一早去县政府", "现在往镇政府走", "准备把国道堵了", "已经把厂门堵死了", "坐在高速路口不让车过",
      "把工地大门围住了", "要去市里讨说法", "把售楼部围了", "打算开三轮车去把县城的路拦了",
      "已经到了政府门口拉横幅", "商量好今晚去老板家堵门", "在村口把路封了", "要上北京告状",
      "把收费站堵了", "冲进了开发商的办公室")
KIN = ("我老公", "我男人", "孩子他爸", "我前夫", "我婆婆", "我儿子", "他爸", "我继父", "我老婆", "当家的")
BEAT = ("又在打我", "正在打孩子", "喝了酒拿皮带抽我", "掐着我脖子", "一直打我妈", "把我按在地上打",
        "拿凳子砸我", "踹我肚子", "扇我耳光不停", "拖着我头发打", "拿烟头烫孩子")
DV_STATE = ("我现在躲在邻居家", "孩子吓得一直哭", "我头上都是血", "我跑出来了不敢回去", "他还在砸门",
            "我锁在厕所里", "快来人救命", "已经打了半个小时了")
STORM = ("一帮人冲进了医院急诊室打医生", "家属在医院走廊摆了花圈设灵堂", "十几个人闯进学校要找老师算账",
         "几个人拿着棍子冲进了幼儿园", "病人家属把护士站砸了", "家长们把校门堵了不让老师出来",
         "一伙人围住了卫生院的医生不让走", "一群人闯进教室要带走孩子")


# Families added after evaluation batch 6, written from the word classes, not its sentences.
LETHAL_PREP = ("攒了一抽屉安眠药", "买好了耗子药", "把敌敌畏藏在床底下", "囤了好几板安定", "把绳子挂在了房梁上",
               "在屋里点了炭盆", "把刀片放在枕头边", "买了一瓶百草枯放在包里", "把门窗都封死了烧炭")
SELF_HURT = ("割了手腕", "拿玻璃划了自己的胳膊", "吞了一把药", "把一瓶药都吃了", "撞了好几下墙头破了",
             "喝了半瓶农药", "拿刀往自己身上扎")
FAREWELL = ("说对不起大家", "让我以后照顾好孩子", "说这辈子就这样了", "电话再也打不通", "把存折密码发给我了",
            "说最后一次跟我说话", "说下辈子不做人了", "说他撑不住了", "说活着就是受罪")
HOLD_PLACE = ("锁在猪圈里", "关在地窖里", "锁在小黑屋", "关在工地的板房里", "锁在车库", "关在阁楼上",
              "扣在厂里的宿舍", "锁在柴房")
NEGLECT = ("不给饭吃", "好几天了", "两天两夜了", "不让出门", "手机也给收了", "饿得直哭", "不让见人")
ROAD = ("国道上", "高速入口", "县城的主干道", "镇上的十字路口", "工地的大门口", "厂区门口", "省道上",
        "铁路道口", "桥头")
SIT = ("躺着", "坐着不走", "跪成一排", "拿板凳坐着", "搭了棚子住下", "把车横过来堵着")
MEANS = ("两桶汽油", "一个液化气罐", "一箱炸药", "三桶柴油", "一罐煤气", "一包雷管", "一瓶硫酸")
CARRY = ("搬到了", "拉到了", "运到了", "扛到了", "拖到了", "放到了")
OFFICE = ("村委会", "镇政府大门口", "开发商的售楼部", "老板的办公室", "派出所门口", "拆迁办", "厂长家门口")
LOITER = ("在我家门口转悠", "在学校外面晃", "蹲在我单位楼下", "守在村口", "在我家后窗外面来回走",
          "在小区里转来转去", "在我上班的路上等着")


def red_scene() -> tuple[str, str]:
    kind = R.randrange(14)
    if kind == 8:
        return (f"{pick(*SELF)}{pick('已经', '偷偷', '', '早就')}{pick(*LETHAL_PREP)}，"
                f"{pick(*FAREWELL)}"), "red"
    if kind == 9:
        return (f"{pick(*SELF)}{pick('刚才', '刚刚', '', '已经')}{pick(*SELF_HURT)}，"
                f"{pick('血止不住', '人已经迷糊了', '怎么办', '现在在医院', '我们在往医院赶', '叫都叫不醒')}"), "red"
    if kind == 10:
        return (f"{pick(*CAPTOR + KIN)}把{pick(*VICTIM + ('孩子', '娃', '老人', '我奶奶'))}"
                f"{pick(*HOLD_PLACE)}{pick(*NEGLECT)}"), "red"
    if kind == 11:
        return (f"{pick(*CROWD)}{pick('在', '跑到', '去了', '现在在')}{pick(*ROAD)}{pick(*SIT)}，"
                f"{pick('说不给钱谁也别想过', '不让车走', '交警都劝不动', '说不解决就不起来')}"), "red"
    if kind == 12:
        return (f"{pick(*SUBJ)}{pick('扬言', '放话', '说')}要开{pick(*VEHICLE)}"
                f"把{pick('我家房子', '我们几个', '人', '我爸', '看场子的人')}{pick('连人带房一起推了', '压死', '撞死', '碾了')}"), "red"
    if kind == 13:
        return (f"{pick(*SUBJ)}{pick(*IMMINENT)}把{pick(*MEANS)}{pick(*CARRY)}{pick(*OFFICE)}，"
                f"{pick('说不给说法就点', '人就坐在上面', '手里拿着打火机', '谁劝都不听')}"), "red"
    if kind == 7 and R.random() < 0.5:
        return (f"{pick(*SUBJ)}{pick(*HOLD)}{pick(*WEAPON)}{pick(*LOITER)}"), "red"
    if kind == 0:
        text = (f"{pick(*IMMINENT)}{pick(*SUBJ)}{pick(*HOLD)}{pick(*WEAPON)}{pick(*PLACE)}，"
                f"{pick(*THREAT)}")
    elif kind == 1:
        text = (f"{pick(*SUBJ)}{pick('开着', '开了', '开来')}{pick(*VEHICLE)}"
                f"{pick('往', '朝', '直接往')}{pick(*V_TARGET)}{pick('上撞', '撞', '冲过来', '压过去', '铲')}，"
                f"{pick(*INSIDE)}")
    elif kind == 2:
        text = f"{pick(*CAPTOR)}把{pick(*VICTIM)}{pick(*DETAIN)}，{pick(*RANSOM)}"
    elif kind == 3:
        text = f"{pick(*SELF)}{pick('因为', '')}{pick(*SELF_WHY)}，{pick(*IMMINENT)}{pick(*SELF_ACT)}"
    elif kind == 4:
        text = f"{pick(*SELF_WHY)}，{pick(*CROWD)}{pick(*GO)}"
    elif kind == 5:
        text = f"{pick(*KIN)}{pick(*IMMINENT)}{pick(*BEAT)}，{pick(*DV_STATE)}"
    elif kind == 6:
        text = f"{pick(*IMMINENT)}{pick(*STORM)}"
    else:
        text = (f"{pick(*SUBJ)}{pick(*IMMINENT)}{pick('打电话', '发微信', '当着大家的面', '在村里')}"
                f"{pick('说', '放话说', '扬言')}{pick('今晚要来砍我', '要弄死我', '要放火烧我家', '要让我家见血', '要捅死我儿子', '要炸了我的厂', '要把我们一家都杀了', '不给钱就跟我同归于尽')}")
    return text, "red"


PRODUCT = ("新买的水果刀", "菜刀", "剪刀", "打火机", "煤气罐", "电动车", "燃气灶", "斧头", "高压锅", "农药",
           "除草剂", "三轮车", "液化气罐", "汽油发电机")
DEFECT = ("用两天就断了", "没几天就生锈了", "打不着火", "漏气", "质量太差", "商家不给退", "是假货",
          "用了一点效果都没有", "说好包退包换结果不认", "刚买就坏了", "卷刃了")
ANIMAL = ("我家塘里的鸭子", "鱼塘的鱼", "养的三百只鸡", "家里的羊", "稻田里的秧苗", "果园的桃树", "蜜蜂",
          "圈里的猪", "河里的鱼虾")
ANIMAL_DEATH = ("都毒死了", "被化工厂的废水毒死了", "一夜之间全死了", "被污染死光了", "被药死了一大片",
                "喝了河里的水死了不少")
HARMLESS = (
    "超市的鸡蛋跳楼价，结果买回来一半是坏的", "商场搞跳楼大甩卖，买的衣服穿一次就破了",
    "气死我了，快递又被人拿走了", "笑死，物业说电梯坏了是我们的责任", "烦死了，楼上天天半夜剁肉",
    "买的农药是假的，庄稼一点没治住，想找经销商赔", "邻居家装修电钻声吵死人了", "累死了加班费还不给",
    "他打电话来说要起诉我", "我们在群里说要一起找律师", "大家商量着写个联名信给物业", "业主们在群里吵翻了天",
    "车位被占了，我在车里等了一个小时", "倒车时他的车撞了我家的院墙，修墙要两千块", "电动车停在楼道里充电很危险",
    "孩子在学校被同学推了一下，想找老师说说", "在医院做手术花了三万，效果不好想要个说法",
    "我家的狗被人下了老鼠药毒死了，想让他赔", "他杀价太狠，货款到现在还差三千", "切菜的时候刀把断了划了手",
    "厂里烧秸秆的烟太大了", "工地炸山放炮，震得我家墙裂了", "过年放鞭炮把我家的车烧了个洞", "我去年被车撞了，保险公司一直没赔",
    "上个月他打了我一巴掌，后来派出所调解了", "老公以前喝多了会骂人，现在好多了，主要是财产问题想分清楚",
    "我不会做傻事的，就是想把工钱要回来", "我们不会去堵路的，只想政府给个说法", "他说要找人来评理",
    "村里几十户人家的自来水停了三天了", "全村人都在议论这个征地补偿标准", "几十个工人的工资拖了两个月",
    "杀猪盘骗了我八万块钱，对方联系不上了", "医院的手术刀口感染了，要求赔偿", "这个价格简直要我的命",
    "群里炸锅了，都在说开发商跑路的事", "跳槽以后原公司不给开离职证明", "跳广场舞的音响太吵了",
    "他拿刀切西瓜的时候把我家桌子划坏了", "我想死你们了，好久没回村", "邻居砍了我家地头的两棵树",
    "挖掘机施工把我家门口的路压坏了", "叉车撞坏了仓库的货架，老板要我赔", "用车撞护栏的钱保险不赔",
    "我爸住院了，医生说要开刀，费用太贵", "学校门口的小摊卖过期零食", "把我家大门堵了的是他家的柴火堆",
    "楼上往下扔烟头，把我家阳台的衣服烧了", "网贷利息太高，我想问问怎么协商还款", "他说我不还钱就去法院告我",
    "邻居天天在楼道堆东西，消防通道都堵了", "老板说不给加班费就辞职吧", "前夫不给抚养费，孩子学费交不上",
    "老人去世后兄弟几个为房子吵起来了", "拆迁办的人说不签字就不给补偿", "煤气公司上门检查说我家管子老化要换",
)
HARMLESS_FRAMES = ("{p}{d}", "在网上买的{p}，{d}", "{p}{d}，找商家商家不理", "请问{p}{d}怎么维权",
                   "上个月买了{p}，{d}，能退吗")


FICTION = ("电视剧里", "小说里", "电影里", "短视频里的段子", "梦里", "游戏里")
ENDED = ("以前", "前几年", "去年", "年轻的时候", "刚结婚那会儿")
HARMLESS_MORE = (
    "送液化气的把罐子搬到我家门口就走了，没给装上", "农资店把两桶柴油运到了我家，多收了运费",
    "我攒了三年的钱借给他了，现在不还", "药店卖的安眠药比医院贵一倍", "锁匠开锁要三百，太黑了",
    "孩子被关在教室外罚站，老师太过分了", "业主们在群里商量去物业反映停车问题", "我家老人买了一堆保健品，被骗了",
    "叉车把仓库的门撞坏了，老板让我赔", "村民们在村口的路上晒稻谷，车过不去", "他开收割机压了我家两垄麦子，要赔钱",
    "铁锹、锄头借给邻居一直没还", "买的指甲刀掉零件了", "锤子把手断了，店家说人为损坏",
)


def harmless_scene() -> tuple[str, str]:
    kind = R.randrange(7)
    if kind == 4:
        text, _ = red_scene()
        return f"{pick(*FICTION)}{pick('看到', '有一段', '演的是', '说')}{text}，{pick('看得我睡不着', '孩子看了害怕', '这种内容平台不管吗')}", "blue"
    if kind == 5:
        return (f"{pick(*KIN)}{pick(*ENDED)}{pick('喝了酒会打人', '动过手', '拿刀吓唬过我', '说过不想活了')}，"
                f"{pick('现在改了', '现在戒酒了', '现在好多了', '早就和好了')}，{pick('想咨询财产怎么分', '想问问孩子抚养权', '就是房子的事想调解')}"), "blue"
    if kind == 6:
        return pick(*HARMLESS_MORE), "blue"
    if kind == 0:
        frame = pick(*HARMLESS_FRAMES)
        return frame.format(p=pick(*PRODUCT), d=pick(*DEFECT)), "blue"
    if kind == 1:
        return (f"{pick(*ANIMAL)}{pick(*ANIMAL_DEATH)}，"
                f"{pick('损失好几万', '想找厂里赔', '环保局来看过了', '怎么索赔', '对方不认账')}"), "blue"
    if kind == 2:
        return pick(*HARMLESS), "blue"
    neg = pick("不会", "没有", "并没有", "从来没", "不敢")
    act = pick("拿刀", "跳楼", "去堵路", "动手", "寻短见", "喝药", "去闹事")
    return f"{pick(*SELF_WHY)}，但我{neg}{act}，就想依法解决", "yellow"


DIALECT = (("我", "俺"), ("什么", "啥子"), ("孩子", "娃"), ("不知道", "不晓得"), ("怎么办", "咋整"),
           ("现在", "这会子"), ("他们", "他们几个"), ("老婆", "婆娘"), ("没有", "冇"))
TYPOS = (("砍", "坎"), ("汽油", "汽由"), ("农药", "农要"), ("跳楼", "跳搂"), ("威胁", "危胁"),
         ("遗书", "遗嘱"), ("挖掘机", "挖据机"), ("煤气罐", "煤汽罐"), ("镰刀", "廉刀"))


def style(text: str) -> str:
    roll = R.random()
    if roll < 0.2:
        text = text.replace("，", " ")
    elif roll < 0.35:
        text = text.replace("，", "")
    if R.random() < 0.25:
        for a, b in R.sample(DIALECT, 2):
            text = text.replace(a, b, 1)
    if R.random() < 0.15:
        a, b = R.choice(TYPOS)
        text = text.replace(a, b)
    if R.random() < 0.3:
        text = pick("救命啊", "你们快来", "请问", "求求你们", "喂", "我要反映", "紧急情况") + pick("，", " ", "") + text
    if R.random() < 0.3:
        text += pick("！", "！！！", "。", "，怎么办", "，快点来人", "啊", "了", "咋办啊", "")
    return text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1600)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    R.seed(args.seed)
    rows: dict[str, str] = {}
    while len(rows) < args.n:
        text, risk = red_scene() if R.random() < 0.5 else harmless_scene()
        rows.setdefault(style(text), risk)
    out = REPO / "config/risk_training/generated.jsonl"
    with out.open("w", encoding="utf-8") as handle:
        for text, risk in rows.items():
            handle.write(json.dumps({"text": text, "risk": risk}, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main()
