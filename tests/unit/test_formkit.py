"""Form rendering tree, parsing of posted forms, validation messages."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from app.domain.errors import ValidationFailed
from app.formkit.fields import build_form
from app.formkit.parse import parse_object
from app.formkit.schemas import _closed, validate

FORMS = Path(__file__).parent.parent / "data" / "forms"
SCHEMA = json.loads((FORMS / "order_lines.schema.json").read_text())
UI = json.loads((FORMS / "order_lines.uischema.json").read_text())


def _fields(values=None, errors=None, locale="zh_CN"):
    return {f.name: f for f in build_form(SCHEMA, UI, values, errors, locale, lambda s: f"T({s})")}


def test_order_labels_widgets_and_required_markers():
    fields = _fields()
    assert list(fields) == ["channel", "project_name", "ship_to", "lines", "urgent", "note"]
    assert fields["ship_to"].label == "收货地址" and fields["ship_to"].required
    assert fields["ship_to"].placeholder == "省/市/区/详细地址" and fields["ship_to"].help
    assert fields["channel"].widget == "select" and fields["channel"].options == [
        ("retail", "零售"),
        ("project", "工程"),
    ]
    assert fields["urgent"].widget == "switch" and fields["note"].widget == "textarea"
    assert fields["note"].label == "T(<script>alert('x')</script>)"  # a plain title is a translation key
    assert _fields(locale="en")["ship_to"].label == "Ship to"


def test_conditional_field_knows_when_to_show():
    rule = _fields()["project_name"].show_if
    assert rule["field"] == "channel" and rule["values"] == ["project"] and not rule["negate"]
    assert _fields()["project_name"].required


def test_array_of_objects_is_a_table_with_rows_errors_and_a_template():
    lines = _fields({"lines": [{"sku": "A", "qty": 0}]}, {"lines/0/qty": "must be ≥ 1"})["lines"]
    assert lines.widget == "table" and [c.name for c in lines.columns] == [
        "lines[__index__][sku]",
        "lines[__index__][qty]",
        "lines[__index__][price]",
    ]
    (row,) = lines.rows
    assert [c.value for c in row] == ["A", 0, None] and row[1].error == "must be ≥ 1"
    assert row[1].attrs == {"min": 1, "step": 1}


def test_parse_converts_types_reads_rows_in_order_and_skips_inactive_branches():
    form = MultiDict(
        {
            "ship_to": "上海",
            "urgent": "on",
            "channel": "retail",
            "project_name": "ignored",
            "lines[3][sku]": "B",
            "lines[3][qty]": "2",
            "lines[0][sku]": "A",
            "lines[0][qty]": "x",
            "lines[0][price]": "12.50",
            "note": "",
        }
    )
    data = parse_object(SCHEMA, form)
    assert data == {
        "ship_to": "上海",
        "urgent": True,
        "channel": "retail",
        "lines": [{"sku": "A", "qty": "x", "price": Decimal("12.50")}, {"sku": "B", "qty": 2}],
    }
    form["channel"] = "project"
    assert parse_object(SCHEMA, form)["project_name"] == "ignored"


def test_validation_maps_errors_to_fields_inside_rows():
    with pytest.raises(ValidationFailed) as err:
        validate(
            _closed(SCHEMA),
            {"ship_to": "x", "channel": "project", "lines": [{"sku": "", "qty": "x"}], "bad": 1},
        )
    assert err.value.errors == {
        "bad": "unknown field",
        "lines/0/qty": "must be a whole number",
        "lines/0/sku": "must not be empty",
        "project_name": "required",
    }


def test_unchecked_checkbox_is_false_and_empty_optional_inputs_are_left_out():
    data = parse_object(SCHEMA, MultiDict({"ship_to": "x", "lines[0][sku]": "A", "lines[0][qty]": "1"}))
    assert data["urgent"] is False and "note" not in data and "channel" not in data


def test_messages_carry_a_translatable_id_with_parameters():
    with pytest.raises(ValidationFailed) as err:
        validate(_closed(SCHEMA), {"ship_to": "x" * 201, "lines": []})
    assert err.value.details["ship_to"] == ("at most %(limit)s characters", {"limit": 200})
    assert err.value.errors["ship_to"] == "at most 200 characters"
    assert err.value.details["lines"] == ("at least %(limit)s row(s)", {"limit": 1})


FORM_DIRS = [
    Path(__file__).resolve().parents[2] / "forms",
    Path(__file__).resolve().parents[1] / "data" / "forms",
]


def _titles(schema):
    """The ``{"zh_CN", "en"}`` titles of every property (nested objects, rows, branches)."""
    if isinstance(schema, dict):
        for prop in (schema.get("properties") or {}).values():
            if isinstance(prop, dict) and isinstance(prop.get("title"), dict):
                yield prop["title"]
        for key, value in schema.items():
            if key != "title":
                yield from _titles(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _titles(value)


def _labels(fields):
    for field in fields:
        yield field.label
        yield from _labels(field.children)
        yield from _labels(field.columns)


@pytest.mark.parametrize(
    "path", [p for d in FORM_DIRS for p in sorted(d.glob("*.schema.json"))], ids=lambda p: p.name
)
def test_every_shipped_and_test_form_renders_in_chinese_and_english(path):
    from jsonschema import Draft202012Validator

    from app.formkit.schemas import _plain_titles

    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(_plain_titles(schema))
    ui_path = path.with_name(path.name.replace(".schema.json", ".uischema.json"))
    uischema = json.loads(ui_path.read_text(encoding="utf-8")) if ui_path.is_file() else {}
    for locale, language in (("zh_CN", "zh_CN"), ("en", "en")):
        labels = set(_labels(build_form(_closed(schema), uischema, None, None, locale, str)))
        wanted = {t[language] for t in _titles(schema) if language in t}
        assert labels and all(isinstance(label, str) and label for label in labels)
        assert wanted and wanted <= labels, (locale, wanted - labels)


def test_form_names_that_cannot_be_files_are_simply_unknown():
    from app.formkit.schemas import form_exists, form_path

    for name in ("x" * 300, "../etc/passwd", "Ṱ̺̺̕o͞ ̷i̲̬n", ".hidden", "a/b"):
        assert form_path(name) is None and not form_exists(name)
