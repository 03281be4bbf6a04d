"""Bilingual labels (中文 / English) for the codes the statistics and the public feed show.

One table per vocabulary; a code missing from a table is shown as itself, so a new code on the
wire never breaks a page (the unit tests check every enum the contract declares is labelled).
"""

from __future__ import annotations

from collections.abc import Mapping

HAZARDS = {
    "mechanical": ("机械伤害", "Mechanical"),
    "cuts": ("割伤", "Cuts"),
    "electric_shock": ("触电", "Electric shock"),
    "fire": ("火灾", "Fire"),
    "burns": ("烧烫伤", "Burns"),
    "choking": ("窒息（异物）", "Choking"),
    "suffocation": ("窒息", "Suffocation"),
    "strangulation": ("勒颈", "Strangulation"),
    "chemical": ("化学危害", "Chemical"),
    "entrapment": ("夹困", "Entrapment"),
    "drowning": ("溺水", "Drowning"),
    "damage_to_sight": ("视力损伤", "Damage to sight"),
    "damage_to_hearing": ("听力损伤", "Damage to hearing"),
    "microbiological": ("微生物危害", "Microbiological"),
    "other": ("其他", "Other"),
}
CATEGORIES = {
    "children": ("儿童用品", "Children's products"),
    "appliances": ("家用电器", "Household appliances"),
    "electronics": ("电子产品", "Electronics"),
    "textiles": ("纺织服装", "Textiles"),
    "furniture": ("家具", "Furniture"),
    "vehicles": ("交通工具", "Vehicles"),
    "sports": ("体育用品", "Sports goods"),
    "kitchenware": ("厨具", "Kitchenware"),
    "lighting": ("照明产品", "Lighting"),
    "personal_care": ("个人护理用品", "Personal care"),
}
REMEDIES = {
    "repair": ("修理", "Repair"),
    "replace": ("更换", "Replace"),
    "refund": ("退货退款", "Refund"),
    "warning": ("警示", "Warning"),
}
RECALL_STATES = {
    "announced": ("已发布", "Announced"),
    "in_progress": ("实施中", "In progress"),
    "lagging": ("进度滞后", "Lagging"),
    "completed": ("已完成", "Completed"),
    "evaluated": ("已评估", "Evaluated"),
    "closed": ("已结案", "Closed"),
}
EVENT_TYPES = {
    "injury_report": ("伤害报告", "Injury reports"),
    "sampling_result": ("抽样检测结果", "Sampling results"),
    "station_heartbeat": ("站点心跳", "Station heartbeats"),
    "recall_notice": ("召回公告", "Recall notices"),
    "recall_progress_report": ("召回进度报告", "Recall progress reports"),
}
LEAD_SOURCES = {
    "purchase_sampling": ("购买抽样检测", "Purchase sampling"),
    "injury_reports": ("伤害监测报告", "Injury reports"),
    "media": ("媒体报道", "Media reports"),
    "complaints": ("消费者投诉", "Consumer complaints"),
    "other": ("其他来源", "Other sources"),
}
TIERS = {
    "county": ("县级", "County"),
    "city": ("市级", "City"),
    "province": ("省级", "Province"),
}
DECISIONS = {
    "defect_confirmed": ("确认缺陷", "Defect confirmed"),
    "no_defect": ("未发现缺陷", "No defect"),
}
FIELDS = {
    "region": ("地区", "Region"),
    "category": ("品类", "Category"),
    "month": ("月份", "Month"),
    "year": ("年度", "Year"),
    "events": ("接收事件", "Accepted events"),
    "leads": ("缺陷线索", "Defect leads"),
    "investigations_opened": ("立案调查", "Investigations opened"),
    "investigations_concluded": ("调查结论", "Investigations concluded"),
    "recalls": ("召回", "Recalls"),
    "units_affected": ("涉及数量", "Units affected"),
    "units_corrected": ("已纠正数量", "Units corrected"),
    "value_recalled": ("召回货值", "Value recalled"),
    "recalls_by_tier": ("召回·按监管层级", "Recalls by tier"),
    "recalls_without_value": ("未申报单价的召回", "Recalls without a declared unit value"),
}


def label(table: Mapping[str, tuple[str, str]], code: str) -> str:
    """'中文 / English' for `code`, or the code itself when the table lacks it."""
    found = table.get(code)
    return f"{found[0]} / {found[1]}" if found else code


def pair(table: Mapping[str, tuple[str, str]], code: str) -> tuple[str, str]:
    """(中文, English) for `code`, the code twice when the table lacks it."""
    return table.get(code, (code, code))
