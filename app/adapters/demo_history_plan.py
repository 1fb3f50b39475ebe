"""Demo history, part 1: the parameters (``seed_templates/<industry>/demo_history.yaml``) and the
generated master data — regions, dealers, dealer warehouses, SKUs and their list prices — as rows
in the shape of ``demo.yaml``, so they load through the same upserts as the demo (docs/demo_data.md).

Everything is drawn from ``random.Random(seed)``: the same parameters give the same rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml

from app.domain.errors import ValidationFailed

SIZES = ("none", "small", "full")
_TRADE = (
    "华润",
    "永辉",
    "联华",
    "大润",
    "百佳",
    "家和",
    "新天",
    "鸿运",
    "佳美",
    "惠民",
    "金桥",
    "顺达",
    "万家",
    "利群",
)
_KIND = ("商贸", "食品经销", "贸易", "快消品", "供应链", "日用品")
_ITEMS = {
    "WATER": ("矿泉水", "Mineral water", ("350ml", "550ml", "1.5L", "5L")),
    "TEA": ("茶饮料", "Tea drink", ("250ml", "500ml", "1L")),
    "BISCUIT": ("饼干", "Biscuits", ("100g", "200g", "400g")),
    "NUTS": ("坚果", "Nuts", ("150g", "250g", "500g")),
    "CLEAN": ("清洁剂", "Cleaner", ("500g", "1kg", "3kg")),
    "PERSONAL": ("护理品", "Care product", ("100ml", "400ml", "500ml")),
}
_FLAVOURS = ("经典", "柠檬", "蜜桃", "原味", "海盐", "薄荷", "茉莉", "乌龙", "抹茶", "椰香", "草莓", "无糖")
_BRANDS = {"BEV": ("清源", "茗香"), "SNK": ("麦田", "果仁坊"), "HPC": ("净白", "柔丝", "皓齿")}


@dataclass(frozen=True)
class HistoryParams:
    """The generator's parameters for one size (``small`` or ``full``)."""

    seed: int
    months: int
    dealers: int
    skus: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    def get(self, key: str, default: Any = None) -> Any:
        """A parameter of the file (``seasonality``, ``promotions`` …)."""
        return self.raw.get(key, default)


def read_params(path: Path, size: str, seed: int | None = None) -> HistoryParams:
    """The parameters of ``size`` from ``path``; ``seed`` overrides the file's seed."""
    if size not in SIZES or size == "none":
        raise ValidationFailed(f"demo history size must be small or full, not {size!r}")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    sized = {**raw, **(raw.get("small", {}) if size == "small" else {})}
    params = HistoryParams(
        seed=int(seed if seed is not None else raw["seed"]),
        months=int(sized["months"]),
        dealers=int(sized["dealers"]),
        skus=int(sized["skus"]),
        raw=raw,
    )
    if not 1 <= params.months <= 36 or params.dealers < 0 or params.skus < 0:
        raise ValidationFailed(f"{path.name}: months 1-36, dealers and skus ≥ 0")
    return params


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def master_rows(params: HistoryParams) -> dict[str, list[dict[str, Any]]]:
    """Regions, dealers, dealer warehouses, products and base price records to add to the demo."""
    rng = random.Random(params.seed)  # noqa: S311 (seeded demo data, not secrets)
    regions = [r for r in params.get("regions", []) if r.get("parent")]
    region_rows = [{k: r[k] for k in ("code", "name", "name_en", "parent")} for r in regions]
    leaves = {r["code"]: float(r.get("weight", 1)) for r in params.get("regions", [])}
    tops = {r["code"]: r.get("parent") for r in params.get("regions", [])}
    dealers, warehouses = [], []
    counters: dict[str, int] = {}
    for _ in range(params.dealers):
        region = _pick(rng, leaves)
        counters[region] = counters.get(region, 100) + 1
        code = f"D-{region}-{counters[region]:03d}"
        tier = _pick(rng, params.get("tiers", {"B": 1}))
        limit = {"KA": 800_000, "A": 400_000}.get(tier, 150_000) * rng.choice((1, 1, 2))
        dealers.append(
            {
                "code": code,
                "name": f"{rng.choice(_TRADE)}{rng.choice(_KIND)}有限公司（{code}）",
                "region": region,
                "tier": tier,
                "credit_limit": str(limit),
                "payment_terms_days": rng.choice((15, 30, 30, 45)),
            }
        )
        if rng.random() < float(params.get("dealer_warehouses", 0)):
            parent = params.get("serving_warehouses", {}).get(tops.get(region) or region)
            warehouses.append(
                {
                    "code": f"WH-{code}",
                    "name": f"{code} 经销商仓",
                    "kind": "dealer",
                    "parent": parent,
                    "dealer": code,
                }
            )
    products, prices = _products(rng, params)
    return {
        "regions": region_rows,
        "dealers": dealers,
        "warehouses": warehouses,
        "products": products,
        "price_records": prices,
    }


def _products(rng: random.Random, params: HistoryParams) -> tuple[list[dict], list[dict]]:
    lines = params.get("product_lines", {})
    shares = {code: float(spec["share"]) for code, spec in lines.items()}
    products, prices = [], []
    for number in range(1, params.skus + 1):
        line = _pick(rng, shares)
        spec = lines[line]
        category = rng.choice(spec["categories"])
        name, name_en, sizes = _ITEMS[category]
        size, flavour = rng.choice(sizes), rng.choice(_FLAVOURS)
        low, high = spec["price"]
        price = Decimal(str(rng.uniform(low, high))).quantize(Decimal("0.01"), ROUND_HALF_UP)
        code = f"{line}-{category[:3]}-{number:04d}"
        products.append(
            {
                "code": code,
                "name": f"{flavour}{name} {size}",
                "name_en": f"{name_en} {size} #{number}",
                "product_line": line,
                "category": category,
                "brand": rng.choice(_BRANDS[line]),
                "unit": "箱",
                "pack_size": rng.choice((6, 12, 20, 24)),
                "shelf_life_days": 1095 if line == "HPC" else rng.choice((270, 360, 540)),
                "standard_cost": str((price * Decimal("0.62")).quantize(Decimal("0.01"), ROUND_HALF_UP)),
            }
        )
        prices.append({"type": "base", "sku": code, "price": str(price)})
    return products, prices
