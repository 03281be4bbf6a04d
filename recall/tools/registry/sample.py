"""Generate a realistic registry: the sizes of the provincial registry in DESIGN.md §1.

The names of the sample's divisions (`places.py`), 81 stations of every kind, 1,285
manufacturers with valid credit codes, products with valid GTINs across 77 kinds, 286
standards (mostly in force, some superseded or withdrawn, plus the real ones the simulator
names), 296 labs plus one per lab station (accreditation status, expiry, scope) and 500
experts, some linked to firms (to exercise conflict-of-interest rules). Deterministic for a
seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from recall.domain.taxonomy import TAXONOMY, all_kinds
from recall.tools.registry.places import CITIES, COUNTIES, names
from schemas.codes import USCC_ALPHABET, gtin_check_digit, uscc_check_character
from schemas.registry import (
    ExpertEntry,
    LabEntry,
    ManufacturerEntry,
    ProductEntry,
    ProductKindEntry,
    RegionEntry,
    RegistryFile,
    StandardEntry,
    StationEntry,
)

STATION_MIX = {
    "hospital": 24,
    "school": 14,
    "traffic_police": 8,
    "mall": 10,
    "supermarket": 10,
    "enforcement": 6,
    "lab": 5,
    "media": 4,
}
BRANDS = (
    "安康",
    "佳宝",
    "欣乐",
    "美途",
    "晋品",
    "童悦",
    "华光",
    "锐驰",
    "优家",
    "Sunny",
    "Kido",
    "Voltix",
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
KIND_ZH = {
    "hospital": "医院急诊",
    "school": "学校",
    "traffic_police": "交警队",
    "mall": "商场",
    "supermarket": "超市",
    "enforcement": "执法队",
    "lab": "检测实验室",
    "media": "新闻媒体",
}


@dataclass(frozen=True, slots=True)
class SampleSizes:
    manufacturers: int = 1285
    products_per_manufacturer: int = 3
    standards: int = 286
    labs: int = 296
    experts: int = 500


def credit_code(rng: random.Random, division: str) -> str:
    body = "91" + division + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_character(body)


def gtin13(rng: random.Random) -> str:
    body = "69" + "".join(rng.choice("0123456789") for _ in range(10))
    return body + gtin_check_digit(body)


def _county(rng: random.Random) -> str:
    return rng.choice(list(COUNTIES))


def stations(rng: random.Random) -> list[StationEntry]:
    out = []
    for kind, count in STATION_MIX.items():
        for i in range(1, count + 1):
            county = _county(rng)
            out.append(
                StationEntry(
                    station_id=f"{kind.upper().replace('_', '')[:4]}-{county}-{i:03d}",
                    kind=kind,
                    name=f"{COUNTIES[county]}{KIND_ZH[kind]}监测点{i}",
                    jurisdiction=county,
                )
            )
    return out


def manufacturers(rng: random.Random, n: int) -> list[ManufacturerEntry]:
    out: list[ManufacturerEntry] = []
    seen: set[str] = set()
    while len(out) < n:
        county = _county(rng)
        code = credit_code(rng, county)
        if code in seen:
            continue
        seen.add(code)
        out.append(
            ManufacturerEntry(
                credit_code=code,
                name=f"{rng.choice(BRANDS)}制造有限公司{len(out) + 1}",
                jurisdiction=county,
            )
        )
    return out


def products(rng: random.Random, makers: list[ManufacturerEntry], per: int) -> list[ProductEntry]:
    kinds = all_kinds()
    out = []
    for maker in makers:
        category, kind, _, _ = rng.choice(kinds)
        brand = rng.choice(BRANDS)
        for j in range(per):
            out.append(
                ProductEntry(
                    manufacturer_code=maker.credit_code,
                    brand=brand,
                    model=f"{kind[:3].upper()}-{rng.randint(100, 999)}{chr(65 + j)}",
                    category=category,
                    kind=kind,
                    gtin=gtin13(rng),
                    units_in_use=rng.choice((2_000, 10_000, 50_000, 200_000)),
                )
            )
    return out


REAL_STANDARDS: tuple[StandardEntry, ...] = (
    StandardEntry(
        code="GB 4706.1-2005",
        title="家用和类似用途电器的安全 第1部分：通用要求",
        category="appliances",
        valid_from=date(2005, 8, 1),
    ),
    StandardEntry(
        code="GB 6675.1-2014",
        title="玩具安全 第1部分：基本规范",
        category="children",
        valid_from=date(2016, 1, 1),
    ),
    StandardEntry(
        code="GB 6675.2-2014",
        title="玩具安全 第2部分：机械与物理性能",
        category="children",
        valid_from=date(2016, 1, 1),
    ),
    StandardEntry(
        code="GB 6675-2003",
        title="国家玩具安全技术规范",
        category="children",
        status="superseded",
        superseded_by="GB 6675.1-2014",
        valid_from=date(2003, 10, 1),
        valid_until=date(2016, 1, 1),
    ),
    StandardEntry(
        code="GB 4943.1-2022",
        title="音视频、信息技术和通信技术设备 第1部分：安全要求",
        category="electronics",
        valid_from=date(2023, 8, 1),
    ),
    StandardEntry(
        code="GB 4943.1-2011",
        title="信息技术设备 安全 第1部分：通用要求",
        category="electronics",
        status="superseded",
        superseded_by="GB 4943.1-2022",
        valid_from=date(2012, 12, 1),
        valid_until=date(2023, 8, 1),
    ),
)
"""Standards the simulator and tests name, with their real status and dates."""


def standards(
    rng: random.Random, status_rng: random.Random, n: int, categories: list[str]
) -> list[StandardEntry]:
    """The real standards above, then `n` generated ones: about 85% in force, 10% superseded
    by a later generated standard, 5% withdrawn with no replacement."""
    out = list(REAL_STANDARDS)
    generated: list[tuple[str, str, int]] = [
        (f"GB {4000 + i}-{rng.randint(2008, 2024)}", rng.choice(categories), i) for i in range(n)
    ]
    for index, (code, category, i) in enumerate(generated):
        year = int(code[-4:])
        start = date(year, 1, 1) + timedelta(days=status_rng.randint(180, 540))
        draw = status_rng.random()
        fields: dict[str, Any] = {"valid_from": start}
        if draw < 0.10 and index + 1 < len(generated):
            successor = generated[status_rng.randrange(index + 1, len(generated))][0]
            fields |= {
                "status": "superseded",
                "superseded_by": successor,
                "valid_until": start + timedelta(days=status_rng.randint(900, 3000)),
            }
        elif draw < 0.15:
            fields |= {
                "status": "withdrawn",
                "valid_until": start + timedelta(days=status_rng.randint(900, 3000)),
            }
        out.append(StandardEntry(code=code, title=f"产品安全标准 {i}", category=category, **fields))
    return out


LAB_STATION_ACCREDITED_UNTIL = date(2031, 12, 31)


def lab_of_station(station: StationEntry) -> LabEntry:
    """The lab behind a lab station (same id: a lab reports only its own results), accredited
    for every category so simulated traffic is admitted."""
    return LabEntry(
        lab_id=station.station_id,
        name=station.name,
        jurisdiction=station.jurisdiction,
        accreditation=f"CNAS L{9000 + int(station.station_id[-3:])}",
        accredited_until=LAB_STATION_ACCREDITED_UNTIL,
        scope=tuple(TAXONOMY),
    )


def accreditation(rng: random.Random, categories: list[str]) -> dict[str, Any]:
    """Mostly accredited for 1–4 categories until 2027–2031; a few suspended, revoked or expired."""
    draw = rng.random()
    status = "suspended" if draw < 0.04 else "revoked" if draw < 0.06 else "accredited"
    until = date(2025, 1, 1) if draw > 0.97 else date(rng.randint(2027, 2031), 12, 31)
    return {
        "status": status,
        "accredited_until": until,
        "scope": tuple(sorted(rng.sample(categories, rng.randint(1, 4)))),
    }


def firm_stations(makers: list[ManufacturerEntry], n: int) -> list[StationEntry]:
    """A reporter account for the first `n` firms, so they can report their own recalls."""
    return [
        StationEntry(
            station_id=f"FIRM-{m.credit_code}",
            kind="firm",
            name=m.name,
            jurisdiction=m.jurisdiction,
            manufacturer_code=m.credit_code,
        )
        for m in makers[:n]
    ]


def generate(seed: int = 7, sizes: SampleSizes | None = None) -> RegistryFile:
    sizes = sizes or SampleSizes()
    rng = random.Random(seed)
    makers = manufacturers(rng, sizes.manufacturers)
    categories = list(TAXONOMY)
    # Statuses, dates and scopes come from their own stream, so a seed's stations, firms,
    # products and experts are the same as before these fields existed.
    status_rng = random.Random(seed * 1_000_003 + 17)
    sample_stations = stations(rng)
    lab_stations = [s for s in sample_stations if s.kind == "lab"]
    return RegistryFile(
        regions=tuple(
            RegionEntry(code=code, name_zh=zh, name_en=en) for code, (zh, en) in names().items()
        ),
        stations=tuple(sample_stations + firm_stations(makers, 40)),
        manufacturers=tuple(makers),
        product_kinds=tuple(
            ProductKindEntry(kind=k, category=c, name_zh=zh, name_en=en)
            for c, k, zh, en in all_kinds()
        ),
        products=tuple(products(rng, makers, sizes.products_per_manufacturer)),
        standards=tuple(standards(rng, status_rng, sizes.standards, categories)),
        labs=tuple(
            [lab_of_station(s) for s in lab_stations]
            + [
                LabEntry(
                    lab_id=f"LAB-{i:03d}",
                    name=f"检验检测中心{i}",
                    jurisdiction=rng.choice(list(CITIES)),
                    accreditation=f"CNAS L{1000 + i}",
                    **accreditation(status_rng, categories),
                )
                for i in range(sizes.labs)
            ]
        ),
        experts=tuple(
            ExpertEntry(
                expert_id=f"EXP-{i:03d}",
                name=f"{rng.choice(SURNAMES)}专家{i}",
                jurisdiction=rng.choice(list(CITIES)),
                categories=tuple(rng.sample(categories, rng.randint(1, 3))),
                linked_firms=tuple(
                    m.credit_code for m in rng.sample(makers, rng.choice((0, 0, 0, 1, 2)))
                ),
            )
            for i in range(sizes.experts)
        ),
    )
