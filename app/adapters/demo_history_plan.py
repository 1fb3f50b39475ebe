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

from app.adapters.demo_history_params import check
from app.domain.errors import ValidationFailed

SIZES = ("none", "small", "full")


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
    """The parameters of ``size`` from ``path``; ``seed`` overrides the file's seed. Refusals name the
    file and the key (``demo_history_params.check``)."""
    if size not in SIZES or size == "none":
        raise ValidationFailed(f"demo history size must be small or full, not {size!r}")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    check(path.name, raw)
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


def _draw(rng: random.Random, value: Any) -> Any:
    """One of a list (drawn), or the value itself (nothing drawn: the sequence stays the same)."""
    return rng.choice(value) if isinstance(value, list) else value


def master_rows(params: HistoryParams) -> dict[str, list[dict[str, Any]]]:
    """Regions, dealers, dealer warehouses, products and base price records to add to the demo."""
    rng = random.Random(params.seed)  # noqa: S311 (seeded demo data, not secrets)
    regions = [r for r in params.get("regions", []) if r.get("parent")]
    region_rows = [{k: r[k] for k in ("code", "name", "name_en", "parent")} for r in regions]
    leaves = {r["code"]: float(r.get("weight", 1)) for r in params.get("regions", [])}
    tops = {r["code"]: r.get("parent") for r in params.get("regions", [])}
    names, credit = params.get("dealer_names"), params.get("dealer_credit")
    factors = params.get("credit_factors", [1])
    dealers, warehouses = [], []
    counters: dict[str, int] = {}
    for _ in range(params.dealers):
        region = _pick(rng, leaves)
        counters[region] = counters.get(region, 100) + 1
        code = f"D-{region}-{counters[region]:03d}"
        tier = _pick(rng, params.get("tiers", {"B": 1}))
        terms = credit[tier]
        limit = Decimal(str(terms["credit_limit"])) * Decimal(str(_draw(rng, factors)))
        name = names["pattern"].format(
            trade=rng.choice(names["trade"]), kind=rng.choice(names["kind"]), code=code
        )
        dealers.append(
            {
                "code": code,
                "name": name,
                "region": region,
                "tier": tier,
                "credit_limit": str(limit.quantize(Decimal(1), ROUND_HALF_UP)),
                "payment_terms_days": int(_draw(rng, terms["payment_terms_days"])),
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


def item_spec(params: HistoryParams, line: str, category: str, key: str) -> Any:
    """``key`` of a category's item, else of its product line, else of the file (``None``)."""
    item, spec = params.get("items", {})[category], params.get("product_lines", {})[line]
    for level in (item, spec, params.raw):
        if key in level:
            return level[key]
    return None


def _products(rng: random.Random, params: HistoryParams) -> tuple[list[dict], list[dict]]:
    lines = params.get("product_lines", {})
    shares = {code: float(spec["share"]) for code, spec in lines.items()}
    cost_share = Decimal(str(params.get("standard_cost_share", 0.62)))
    products, prices = [], []
    for number in range(1, params.skus + 1):
        line = _pick(rng, shares)
        spec = lines[line]
        category = rng.choice(spec["categories"])
        item = params.get("items")[category]

        def of(key: str, line: str = line, category: str = category) -> Any:
            return item_spec(params, line, category, key)

        size, variant = rng.choice(item["sizes"]), rng.choice(of("variants"))
        low, high = spec["price"]
        price = Decimal(str(rng.uniform(low, high))).quantize(Decimal("0.01"), ROUND_HALF_UP)
        brand, pack = rng.choice(of("brands")), _draw(rng, of("pack_sizes"))
        shelf_life = _draw(rng, of("shelf_life_days"))
        code = f"{line}-{category[:3]}-{number:04d}"
        products.append(
            {
                "code": code,
                "name": (of("product_name") or "{variant}{name} {size}")
                .format(variant=variant, name=item["name"], size=size, brand=brand)
                .strip(),
                "name_en": f"{item['name_en']} {size} #{number}",
                "product_line": line,
                "category": category,
                "brand": brand,
                "unit": of("unit"),
                "pack_size": pack,
                "shelf_life_days": shelf_life,
                "standard_cost": str((price * cost_share).quantize(Decimal("0.01"), ROUND_HALF_UP)),
            }
        )
        prices.append({"type": "base", "sku": code, "price": str(price)})
    return products, prices
