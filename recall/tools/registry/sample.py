"""Generate a realistic registry: the sizes of the provincial registry in DESIGN.md §1.

The names of the sample's divisions (`places.py`), 81 stations of every kind, 1,285
manufacturers with valid credit codes, products with valid GTINs across 77 kinds, 286
standards, 296 labs and 500 experts, some linked to firms (to exercise conflict-of-interest
rules). Deterministic for a seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from recall.tools.registry.places import CITIES, COUNTIES, names
from recall.tools.registry.taxonomy import TAXONOMY, all_kinds
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
    return RegistryFile(
        regions=tuple(
            RegionEntry(code=code, name_zh=zh, name_en=en) for code, (zh, en) in names().items()
        ),
        stations=tuple(stations(rng) + firm_stations(makers, 40)),
        manufacturers=tuple(makers),
        product_kinds=tuple(
            ProductKindEntry(kind=k, category=c, name_zh=zh, name_en=en)
            for c, k, zh, en in all_kinds()
        ),
        products=tuple(products(rng, makers, sizes.products_per_manufacturer)),
        standards=tuple(
            StandardEntry(
                code=f"GB {4000 + i}-{rng.randint(2008, 2024)}",
                title=f"产品安全标准 {i}",
                category=rng.choice(categories),
            )
            for i in range(sizes.standards)
        ),
        labs=tuple(
            LabEntry(
                lab_id=f"LAB-{i:03d}",
                name=f"检验检测中心{i}",
                jurisdiction=rng.choice(list(CITIES)),
                accreditation=f"CNAS L{1000 + i}",
            )
            for i in range(sizes.labs)
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
