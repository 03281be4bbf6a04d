"""A sample of GB/T 2260 divisions (Shanxi province) used by generated registries and traffic.

Names in Chinese as the standard gives them, and in English as pinyin (the form the
divisions' own English pages use: 太原市 Taiyuan, 小店区 Xiaodian District).
"""

from __future__ import annotations

PROVINCE = "140000"
PROVINCE_NAME = ("山西省", "Shanxi")
CITIES: dict[str, str] = {
    "140100": "太原市",
    "140200": "大同市",
    "140300": "阳泉市",
    "140400": "长治市",
    "140500": "晋城市",
    "140600": "朔州市",
    "140700": "晋中市",
    "140800": "运城市",
    "140900": "忻州市",
    "141000": "临汾市",
    "141100": "吕梁市",
}
COUNTIES: dict[str, str] = {
    "140105": "小店区",
    "140106": "迎泽区",
    "140107": "杏花岭区",
    "140108": "尖草坪区",
    "140109": "万柏林区",
    "140110": "晋源区",
    "140212": "新荣区",
    "140213": "平城区",
    "140302": "城区",
    "140403": "潞州区",
    "140502": "城区",
    "140602": "朔城区",
    "140702": "榆次区",
    "140802": "盐湖区",
    "140902": "忻府区",
    "141002": "尧都区",
    "141102": "离石区",
}
ENGLISH: dict[str, str] = {
    "140000": "Shanxi",
    "140100": "Taiyuan",
    "140200": "Datong",
    "140300": "Yangquan",
    "140400": "Changzhi",
    "140500": "Jincheng",
    "140600": "Shuozhou",
    "140700": "Jinzhong",
    "140800": "Yuncheng",
    "140900": "Xinzhou",
    "141000": "Linfen",
    "141100": "Lüliang",
    "140105": "Xiaodian District",
    "140106": "Yingze District",
    "140107": "Xinghualing District",
    "140108": "Jiancaoping District",
    "140109": "Wanbailin District",
    "140110": "Jinyuan District",
    "140212": "Xinrong District",
    "140213": "Pingcheng District",
    "140302": "Chengqu District, Yangquan",
    "140403": "Luzhou District",
    "140502": "Chengqu District, Jincheng",
    "140602": "Shuocheng District",
    "140702": "Yuci District",
    "140802": "Yanhu District",
    "140902": "Xinfu District",
    "141002": "Yaodu District",
    "141102": "Lishi District",
}
"""English (pinyin) names of the province, its cities and the counties above."""


def names() -> dict[str, tuple[str, str]]:
    """Every division of the sample: code → (中文, English)."""
    chinese = {PROVINCE: PROVINCE_NAME[0], **CITIES, **COUNTIES}
    return {code: (zh, ENGLISH[code]) for code, zh in chinese.items()}
