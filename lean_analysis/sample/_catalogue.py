"""Fixed vocabulary of the synthetic county: specifications, names, survey items, comments.

Prices are suggested retail prices in ¥ per carton (条); the generator derives the wholesale
(allocation) price from a retailer margin drawn per specification. Relative volumes are a
starting point only: the generator rescales non-key brands to plant the key-brand share.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Spec:
    brand: str
    name: str
    retail: float  # ¥ per carton, suggested retail price
    volume: float  # relative weekly volume (popularity)
    scarce: bool = False  # rationed: allocation cap per tier
    small: bool = False  # part of the small sample's 12 specifications
    launch: str | None = None  # new product: launch day (ISO)
    role: str = ""  # "cultivated" | "focus" (shelf checks) | ""


KEY_BRANDS = ("芙蓉王", "白沙", "红塔山", "利群", "云烟", "黄鹤楼", "中华", "玉溪", "南京",
              "黄山", "双喜", "真龙", "黄金叶", "泰山")

S = Spec
SPECS: tuple[Spec, ...] = (
    S("芙蓉王", "芙蓉王(硬)", 250, 8.0, scarce=True, small=True, role="focus"),
    S("芙蓉王", "芙蓉王(软蓝)", 350, 2.0),
    S("芙蓉王", "芙蓉王(硬中支)", 300, 3.5, small=True, role="cultivated"),
    S("芙蓉王", "芙蓉王(硬细支)", 280, 2.0),
    S("芙蓉王", "芙蓉王(钻石)", 1000, 0.25, scarce=True),
    S("芙蓉王", "芙蓉王(硬细支珍品)", 400, 1.2, small=True, launch="2025-03-19"),
    S("白沙", "白沙(精品)", 100, 12.0, small=True, role="focus"),
    S("白沙", "白沙(硬精品三代)", 110, 6.0),
    S("白沙", "白沙(精品二代)", 130, 5.0),
    S("白沙", "白沙(和天下)", 1000, 0.25, scarce=True),
    S("白沙", "白沙(硬)", 50, 6.0, small=True),
    S("白沙", "白沙(软)", 35, 4.0),
    S("白沙", "白沙(红运当头)", 60, 3.0),
    S("白沙", "白沙(和润)", 230, 1.5, small=True, launch="2025-10-22"),
    S("白沙", "白沙(硬新精品)", 80, 3.0),
    S("白沙", "白沙(软蓝)", 28, 3.0),
    S("红塔山", "红塔山(硬经典)", 70, 7.0, small=True),
    S("红塔山", "红塔山(经典1956)", 100, 5.0),
    S("红塔山", "红塔山(软经典)", 60, 3.0),
    S("红塔山", "红塔山(硬恭贺新禧)", 50, 2.0),
    S("红塔山", "红塔山(新势力)", 110, 2.0),
    S("红塔山", "红塔山(软)", 22, 2.0),
    S("红塔山", "红塔山(大经典)", 150, 1.0, launch="2026-04-15"),
    S("利群", "利群(新版)", 140, 4.0, small=True),
    S("利群", "利群(软红长嘴)", 200, 1.5),
    S("利群", "利群(阳光)", 250, 1.5, scarce=True),
    S("利群", "利群(休闲)", 130, 1.0),
    S("云烟", "云烟(紫)", 110, 3.0),
    S("云烟", "云烟(软珍品)", 220, 2.0),
    S("云烟", "云烟(小熊猫家园)", 130, 1.5),
    S("云烟", "云烟(印象烟庄)", 600, 0.3),
    S("黄鹤楼", "黄鹤楼(硬金砂)", 160, 2.0, small=True),
    S("黄鹤楼", "黄鹤楼(软蓝)", 190, 1.5),
    S("黄鹤楼", "黄鹤楼(1916)", 1000, 0.25, scarce=True),
    S("黄鹤楼", "黄鹤楼(硬雅韵)", 300, 0.8, launch="2024-05-08"),
    S("中华", "中华(硬)", 450, 3.0, scarce=True, small=True),
    S("中华", "中华(软)", 650, 1.0, scarce=True),
    S("中华", "中华(双中支)", 450, 1.0),
    S("中华", "中华(金中支)", 600, 0.5),
    S("玉溪", "玉溪(软)", 230, 2.0, scarce=True),
    S("玉溪", "玉溪(硬)", 220, 1.5),
    S("玉溪", "玉溪(初心)", 250, 1.0),
    S("南京", "南京(红)", 120, 1.5),
    S("南京", "南京(炫赫门)", 180, 1.5),
    S("南京", "南京(雨花石)", 500, 0.3),
    S("黄山", "黄山(红方印)", 150, 1.0),
    S("黄山", "黄山(新制皖烟)", 100, 1.0),
    S("双喜", "双喜(硬经典)", 80, 2.0),
    S("双喜", "双喜(软红)", 45, 2.0),
    S("双喜", "双喜(软经典)", 30, 1.5),
    S("真龙", "真龙(起源)", 190, 0.8),
    S("真龙", "真龙(海韵)", 120, 0.8),
    S("黄金叶", "黄金叶(乐途)", 150, 0.8),
    S("黄金叶", "黄金叶(帝豪)", 50, 1.5),
    S("黄金叶", "黄金叶(天叶)", 1000, 0.1),
    S("泰山", "泰山(红将军)", 100, 1.0),
    S("泰山", "泰山(华贵)", 500, 0.2),
    # non-key brands
    S("七匹狼", "七匹狼(通仙)", 150, 0.5, small=True),
    S("七匹狼", "七匹狼(软灰)", 70, 0.8),
    S("钻石", "钻石(荷花)", 350, 0.8),
    S("钻石", "钻石(硬红)", 55, 0.8),
    S("红河", "红河(硬99)", 50, 0.8),
    S("红河", "红河(软甲)", 20, 1.5, small=True),
    S("红金龙", "红金龙(硬神州)", 40, 0.8),
    S("红金龙", "红金龙(软)", 25, 0.8),
    S("娇子", "娇子(宽窄逍遥)", 150, 0.5),
    S("娇子", "娇子(X)", 110, 0.4),
    S("红梅", "红梅(软黄)", 40, 1.0),
    S("红梅", "红梅(顺)", 60, 0.6),
    S("大前门", "大前门(短支)", 50, 0.8),
    S("大前门", "大前门(软)", 18, 1.0),
    S("哈德门", "哈德门(精品)", 60, 0.5),
    S("五叶神", "五叶神(金色)", 60, 0.3),
    S("椰树", "椰树(硬)", 28, 0.4),
    S("金桥", "金桥(硬)", 35, 0.6),
    S("红旗渠", "红旗渠(银河)", 28, 0.6),
    S("大红鹰", "大红鹰(新版)", 70, 0.4),
    S("长白山", "长白山(777)", 110, 0.3),
    S("岷江", "岷江(软)", 15, 0.6),
    S("好猫", "好猫(金丝)", 40, 0.4),
)
assert len(SPECS) == 80 and sum(s.small for s in SPECS) == 12

# Price class (价类) by wholesale (allocation) price per carton: class 1 ≥ 100, class 2 70–100,
# class 3 30–70, class 4 16.5–30, class 5 below 16.5 (lower bounds, ¥ per carton).
PRICE_CLASS_BOUNDS = (100.0, 70.0, 30.0, 16.5)

FORMATS = ("便利店", "食杂店", "超市", "烟酒店", "商场")
FORMAT_P = {
    "urban": (0.34, 0.16, 0.20, 0.24, 0.06),
    "rural": (0.16, 0.58, 0.10, 0.16, 0.00),
}
# Probability that an urban customer of a format (tier ≥ 6) is a modern terminal (现代终端).
MODERN_P = {"便利店": 0.30, "食杂店": 0.0, "超市": 0.45, "烟酒店": 0.12, "商场": 0.85}

NAME_SUFFIX = {
    "便利店": ("便利店", "便利店", "便民店"),
    "食杂店": ("食杂店", "副食店", "小卖部", "商店"),
    "超市": ("超市", "超市", "购物中心"),
    "烟酒店": ("烟酒店", "烟酒行", "名烟名酒"),
    "商场": ("商场", "百货", "购物广场"),
}
NAME_CORE = (
    "芙蓉", "老王", "老李", "张记", "刘记", "陈记", "红星", "新华", "兴隆", "福源", "惠民", "顺发",
    "金穗", "阳光", "友谊", "家家乐", "好又多", "湘江", "旺旺", "万家福", "天天", "平价", "利民",
    "百信", "永安", "宏达", "鑫源", "聚福", "如意", "吉祥", "和顺", "德胜", "长青", "华联", "步步高",
    "佳惠", "小胡", "周氏", "谭家", "易记", "彭记", "罗家", "向阳", "春晖", "大众", "美佳", "盛世",
)
NAME_PLACE = {
    "urban": ("城关", "东街", "西街", "南门", "北门", "河西", "车站", "建设路", "解放路", "人民路",
              "中山路", "五一路", "白沙路", "芙蓉路", "新城", "步行街"),
    "rural": ("石桥镇", "双河村", "龙潭镇", "杨家坪", "李家湾", "王家坪", "青山村", "花桥镇",
              "长乐乡", "白马村", "新塘镇", "枫林村", "桃源村", "金盆乡"),
}
# Values that a report must escape (HTML): used for a few customers.
ESCAPE_NAMES = ('<script>alert("x")</script>小卖部', '王&李"好运"烟酒店')

# --- survey -------------------------------------------------------------------------------
# dimension (zh), key, en label, items: (item_id, label_zh, label_en, reverse)
DIMENSIONS = (
    ("货源供应", "supply", "supply", (
        ("supply_1", "紧俏卷烟能按需订到", "Scarce brands can be ordered as needed", False),
        ("supply_2", "货源投放公平透明", "Allocation is fair and transparent", False),
        ("supply_3", "紧俏烟经常订不到", "Scarce brands are often unavailable", True),
    )),
    ("订货服务", "ordering", "ordering", (
        ("ordering_1", "网上订货方便快捷", "Online ordering is quick and easy", False),
        ("ordering_2", "订货时间安排合理", "The ordering schedule is reasonable", False),
    )),
    ("配送服务", "delivery", "delivery", (
        ("delivery_1", "送货准时", "Deliveries arrive on time", False),
        ("delivery_2", "送货人员态度好", "Delivery staff are courteous", False),
        ("delivery_3", "送货经常延误或出错", "Deliveries are often late or wrong", True),
    )),
    ("客户经理服务", "manager", "customer-manager service", (
        ("manager_1", "客户经理定期走访", "The customer manager visits regularly", False),
        ("manager_2", "客户经理能解决实际问题", "The customer manager solves real problems", False),
        ("manager_3", "客户经理提供经营指导", "The customer manager gives business advice", False),
    )),
    ("品牌宣传", "promotion", "brand promotion", (
        ("promotion_1", "新品信息介绍及时", "New products are introduced promptly", False),
        ("promotion_2", "品牌宣传物料充足", "Enough brand promotion material", False),
    )),
    ("投诉处理", "complaints", "complaint handling", (
        ("complaints_1", "投诉渠道畅通", "Complaint channels are easy to reach", False),
        ("complaints_2", "投诉处理及时有效", "Complaints are handled promptly and well", False),
        ("complaints_3", "投诉结果反馈及时", "The outcome of a complaint is reported back", False),
    )),
    ("市场管理", "market", "market management", (
        ("market_1", "市场经营秩序规范", "The market is orderly", False),
        ("market_2", "打击假烟私烟有力", "Counterfeit and smuggled cigarettes are tackled", False),
        ("market_3", "卷烟明码标价规范", "Prices are clearly marked", False),
    )),
)
# Item weights of the index (each dimension's weight split equally over its items; sum 1).
ITEM_WEIGHT = {"supply": 0.07, "ordering": 0.055, "delivery": 0.05, "manager": 0.05,
               "promotion": 0.04, "complaints": 0.05, "market": 0.05}
OVERALL_ITEM = ("overall", "overall", "总体而言，您对烟草公司的服务满意吗", "Overall satisfaction")

COMPLAINTS = {
    "supply": ("紧俏烟货源不足", "好烟总是订不到", "货源分配不公平", "希望增加芙蓉王投放量", "畅销品规经常断货"),
    "ordering": ("网上订货系统经常卡顿", "订货时间太短", "订货电话打不通"),
    "delivery": ("送货太慢", "送货时间不固定", "到货有破损", "送货员态度差"),
    "manager": ("客户经理很少来店里", "客户经理不懂经营指导", "客户经理回复太慢"),
    "promotion": ("新品宣传不到位", "宣传物料太少", "新品介绍不清楚"),
    "complaints": ("投诉后没人回复", "投诉处理太慢", "投诉电话没人接"),
    "market": ("周边有人卖假烟", "市场价格混乱", "无证经营没人管"),
}
PRAISE = {
    "supply": ("货源比以前充足", "投放很公平"),
    "ordering": ("订货很方便", "网上订货快"),
    "delivery": ("送货准时", "送货员很负责"),
    "manager": ("客户经理服务热情", "客户经理经常来指导", "客户经理很专业"),
    "promotion": ("新品介绍及时",),
    "complaints": ("投诉处理及时",),
    "market": ("市场秩序越来越好",),
}
NEUTRAL = ("还可以", "一般", "希望继续保持", "服务很好，继续保持", "满意", "没什么意见")
# Comments that a report must escape (HTML).
ESCAPE_COMMENTS = ("<b>送货太慢</b>，希望改进", "<script>alert('x')</script>投诉没人管",
                   '货源 & 服务都"还行"')
