"""The consumer-product taxonomy: 10 categories and 77 kinds (code, 中文, English).

Modelled on the provincial registry in DESIGN.md §1 (10 categories, 77 product kinds). It lives
in the domain because intake judges by it: a product of a kind that is not in the taxonomy, or
of a kind stated under another category, would start a risk history no regulator could file
(docs/intake.md, registry checks). Pure data and lookups; the sample registry and the
`product_kinds` table are generated from it, never kept as another copy.
"""

from __future__ import annotations

TAXONOMY: dict[str, tuple[tuple[str, str, str], ...]] = {
    "children": (
        ("stroller", "婴儿推车", "stroller"),
        ("crib", "婴儿床", "crib"),
        ("child_car_seat", "儿童安全座椅", "child car seat"),
        ("toy_plush", "毛绒玩具", "plush toy"),
        ("toy_plastic", "塑料玩具", "plastic toy"),
        ("toy_electric", "电动玩具", "electric toy"),
        ("baby_walker", "学步车", "baby walker"),
        ("pacifier", "安抚奶嘴", "pacifier"),
    ),
    "appliances": (
        ("electric_kettle", "电水壶", "electric kettle"),
        ("rice_cooker", "电饭锅", "rice cooker"),
        ("hair_dryer", "电吹风", "hair dryer"),
        ("electric_heater", "电暖器", "electric heater"),
        ("water_heater", "热水器", "water heater"),
        ("induction_cooker", "电磁炉", "induction cooker"),
        ("microwave_oven", "微波炉", "microwave oven"),
        ("washing_machine", "洗衣机", "washing machine"),
    ),
    "electronics": (
        ("power_bank", "移动电源", "power bank"),
        ("phone_charger", "手机充电器", "phone charger"),
        ("power_strip", "电源插座", "power strip"),
        ("earphones", "耳机", "earphones"),
        ("smart_watch", "智能手表", "smart watch"),
        ("laptop_adapter", "笔记本电源适配器", "laptop adapter"),
        ("e_cigarette", "电子烟", "e-cigarette"),
        ("tablet", "平板电脑", "tablet"),
    ),
    "textiles": (
        ("children_clothing", "童装", "children's clothing"),
        ("hoodie_drawstring", "带绳帽衫", "drawstring hoodie"),
        ("bedding", "床上用品", "bedding"),
        ("school_uniform", "校服", "school uniform"),
        ("underwear", "内衣", "underwear"),
        ("towel", "毛巾", "towel"),
        ("down_jacket", "羽绒服", "down jacket"),
    ),
    "furniture": (
        ("chest_of_drawers", "抽屉柜", "chest of drawers"),
        ("bunk_bed", "双层床", "bunk bed"),
        ("office_chair", "办公椅", "office chair"),
        ("glass_table", "玻璃桌", "glass table"),
        ("wardrobe", "衣柜", "wardrobe"),
        ("children_desk", "儿童书桌", "children's desk"),
        ("sofa_bed", "沙发床", "sofa bed"),
        ("folding_chair", "折叠椅", "folding chair"),
    ),
    "vehicles": (
        ("e_bike", "电动自行车", "electric bicycle"),
        ("e_bike_battery", "电动自行车电池", "e-bike battery"),
        ("e_bike_charger", "电动自行车充电器", "e-bike charger"),
        ("bicycle", "自行车", "bicycle"),
        ("helmet", "头盔", "helmet"),
        ("e_scooter", "电动滑板车", "electric scooter"),
        ("balance_bike", "儿童平衡车", "balance bike"),
        ("car_charger", "车载充电器", "car charger"),
    ),
    "sports": (
        ("trampoline", "蹦床", "trampoline"),
        ("treadmill", "跑步机", "treadmill"),
        ("skateboard", "滑板", "skateboard"),
        ("swim_ring", "游泳圈", "swim ring"),
        ("fitness_band", "弹力带", "fitness band"),
        ("roller_skates", "轮滑鞋", "roller skates"),
        ("climbing_rope", "攀爬绳", "climbing rope"),
        ("dumbbell", "哑铃", "dumbbell"),
    ),
    "kitchenware": (
        ("pressure_cooker", "压力锅", "pressure cooker"),
        ("kitchen_knife", "菜刀", "kitchen knife"),
        ("glass_bottle", "玻璃瓶", "glass bottle"),
        ("plastic_tableware", "塑料餐具", "plastic tableware"),
        ("nonstick_pan", "不粘锅", "non-stick pan"),
        ("thermos", "保温杯", "vacuum flask"),
        ("gas_stove", "燃气灶", "gas stove"),
    ),
    "lighting": (
        ("led_lamp", "LED灯", "LED lamp"),
        ("desk_lamp", "台灯", "desk lamp"),
        ("string_lights", "装饰灯串", "string lights"),
        ("night_light", "小夜灯", "night light"),
        ("flashlight", "手电筒", "flashlight"),
        ("ceiling_light", "吸顶灯", "ceiling light"),
        ("solar_lamp", "太阳能灯", "solar lamp"),
    ),
    "personal_care": (
        ("hair_straightener", "直发器", "hair straightener"),
        ("electric_shaver", "电动剃须刀", "electric shaver"),
        ("cosmetics", "化妆品", "cosmetics"),
        ("toothbrush_electric", "电动牙刷", "electric toothbrush"),
        ("massager", "按摩器", "massager"),
        ("nail_lamp", "美甲灯", "nail lamp"),
        ("heating_pad", "电热垫", "heating pad"),
        ("foot_bath", "足浴盆", "foot bath"),
    ),
}


def all_kinds() -> list[tuple[str, str, str, str]]:
    """(category, kind, 中文, English) for every kind."""
    return [(cat, code, zh, en) for cat, kinds in TAXONOMY.items() for code, zh, en in kinds]


CATEGORY_OF: dict[str, str] = {code: cat for cat, kinds in TAXONOMY.items() for code, _, _ in kinds}
"""kind code -> its category: every kind belongs to exactly one category."""


def category_of(kind: str) -> str | None:
    """The category a kind belongs to, or None when the kind is not in the taxonomy."""
    return CATEGORY_OF.get(kind)


def kinds_of(category: str) -> tuple[str, ...]:
    """The kind codes of one category (empty for a category the taxonomy does not have)."""
    return tuple(code for code, _, _ in TAXONOMY.get(category, ()))
