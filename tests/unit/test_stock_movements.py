"""Stock movements are checked before anything is written; effects per kind."""

import pytest

from app.domain.errors import ValidationFailed
from app.domain.stock import Effect, effects, parse_movement, parse_movements


def test_codes_are_normalised_and_quantities_converted():
    m = parse_movement({"kind": "receipt", "warehouse": " ｗｈ－ｈｑ ", "sku": "sku 1", "qty": "12"})
    assert (m.warehouse, m.sku, m.qty) == ("WH-HQ", "SKU1", 12)
    assert parse_movement({"kind": "receipt", "warehouse": "W", "sku": "S", "qty": 3.0}).qty == 3


@pytest.mark.parametrize(
    ("raw", "field", "reason"),
    [
        ({"kind": "receipt", "qty": 1.5}, "qty", "whole number"),
        ({"kind": "receipt", "qty": -1}, "qty", "positive"),
        ({"kind": "receipt", "qty": 0}, "qty", "zero"),
        ({"kind": "receipt", "qty": True}, "qty", "whole number"),
        ({"kind": "melt", "qty": 1}, "kind", "one of"),
        ({"kind": "transfer_out", "qty": 1}, "to_warehouse", "required"),
        ({"kind": "transfer_out", "qty": 1, "to_warehouse": "W"}, "to_warehouse", "differ"),
        ({"kind": "transfer_in", "qty": 1}, "reference", "required"),
        ({"kind": "adjust", "qty": -2}, "reason", "reason"),
        ({"kind": "receipt", "qty": 1, "received_on": "31/01/2026"}, "received_on", "date"),
        ({"kind": "receipt", "qty": 1, "batch": "../etc"}, "batch", "letters"),
    ],
)
def test_bad_movements_name_the_field(raw, field, reason):
    with pytest.raises(ValidationFailed) as refused:
        parse_movement({"warehouse": "W", "sku": "S", **raw}, "movements/0/")
    assert reason in refused.value.errors[f"movements/0/{field}"]


def test_a_request_reports_every_bad_movement_and_limits_its_size():
    with pytest.raises(ValidationFailed) as refused:
        parse_movements([{"kind": "receipt", "warehouse": "W", "sku": "S", "qty": 1}, {"kind": "x"}, "no"])
    assert "movements/1/kind" in refused.value.errors and "movements/2" in refused.value.errors
    with pytest.raises(ValidationFailed):
        parse_movements([])
    with pytest.raises(ValidationFailed):
        parse_movements([{"kind": "receipt", "warehouse": "W", "sku": "S", "qty": 1}] * 1001)


def test_effects_per_kind():
    base = {"warehouse": "A", "sku": "S", "qty": 5}
    assert effects(parse_movement({**base, "kind": "transfer_out", "to_warehouse": "B"})) == [
        ("A", Effect(on_hand=-5)),
        ("B", Effect(in_transit=5)),
    ]
    ship = effects(parse_movement({**base, "kind": "ship", "from_reserved": True}))[0][1]
    assert ship == Effect(on_hand=-5, reserved=-5) and not ship.takes_available
    assert effects(parse_movement({**base, "kind": "reserve"}))[0][1].takes_available
