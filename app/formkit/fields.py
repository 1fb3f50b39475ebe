"""Turn a JSON Schema (+ rjsf-style UI schema), values and errors into a tree of fields
that the Jinja2 macros in ``web/templates/formkit/`` render as an HTML form.

Supported: string (text, textarea, email, tel, date, datetime), number/integer, boolean
(checkbox/switch), enums (select/radio, ``oneOf`` + ``title`` labels), nested objects
(fieldsets), arrays of objects (editable tables), read-only fields, conditional fields
(``if``/``then``/``else`` on one property's ``const``/``enum``), file fields (see uploads.py).
``title`` may be a string (looked up as a translation key) or ``{"zh_CN": …, "en": …}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.formkit.uploads import FileRule, file_rule, human_size

FORMATS = {"email": "email", "date": "date", "date-time": "datetime-local", "time": "time", "uri": "url"}
WIDGETS = {"textarea", "select", "radio", "checkbox", "switch", "hidden", "password", "tel", "email", "date"}


@dataclass
class Field:
    """One input (or group of inputs) of a rendered form."""

    name: str
    path: tuple
    widget: str
    label: str
    required: bool = False
    help: str | None = None
    placeholder: str | None = None
    readonly: bool = False
    value: Any = None
    error: str | None = None
    options: list[tuple[Any, str]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    children: list[Field] = field(default_factory=list)
    rows: list[list[Field]] = field(default_factory=list)
    columns: list[Field] = field(default_factory=list)
    show_if: dict[str, Any] | None = None
    file: dict[str, Any] | None = None  # a file field's stored file: name, url, size (if visible)


def label_of(schema: dict, key: str, locale: str, translate: Callable[[str], str]) -> str:
    """A field's label: ``title`` as {locale: text} or a translation key; else the property name."""
    title = schema.get("title")
    if isinstance(title, dict):
        language = "zh_CN" if locale.startswith("zh") else "en"
        return str(title.get(language) or title.get("en") or title.get("zh_CN") or key)
    return translate(title) if isinstance(title, str) and title else key


def html_name(path: tuple) -> str:
    """``("lines", 0, "sku")`` → ``lines[0][sku]`` (what the browser posts)."""
    head, *rest = [str(p) for p in path] or [""]
    return head + "".join(f"[{p}]" for p in rest)


def pointer(path: tuple) -> str:
    """The key errors are reported under: ``lines/0/sku``."""
    return "/".join(str(p) for p in path)


class Builder:
    """Builds the field tree for one form in one language."""

    def __init__(
        self,
        locale: str,
        translate: Callable[[str], str],
        errors: dict[str, str],
        file_info: Callable[[str], dict | None] | None = None,
        upload_cap: int | None = None,
    ) -> None:
        self.locale, self.translate, self.errors = locale, translate, errors
        self.file_info, self.upload_cap = file_info, upload_cap

    def _options(self, schema: dict) -> list[tuple[Any, str]]:
        if "enum" in schema:
            return [(v, str(v)) for v in schema["enum"]]
        choices = schema.get("oneOf") or schema.get("anyOf") or []
        return [
            (c["const"], label_of(c, str(c["const"]), self.locale, self.translate))
            for c in choices
            if "const" in c
        ]

    def _widget(self, schema: dict, ui: dict, options: list) -> str:
        kind = schema.get("type")
        chosen = ui.get("ui:widget")
        if chosen in WIDGETS:
            return chosen
        if options:
            return "select"
        if kind == "boolean":
            return "checkbox"
        if kind in ("number", "integer"):
            return "number"
        return FORMATS.get(schema.get("format", ""), "text")

    def _attrs(self, schema: dict, ui: dict) -> dict[str, Any]:
        attrs = {}
        for key, attr in (
            ("minimum", "min"),
            ("maximum", "max"),
            ("minLength", "minlength"),
            ("maxLength", "maxlength"),
            ("pattern", "pattern"),
            ("multipleOf", "step"),
        ):
            if key in schema:
                attrs[attr] = schema[key]
        if schema.get("type") == "integer":
            attrs.setdefault("step", 1)
        elif schema.get("type") == "number":
            attrs.setdefault("step", "any")
        attrs.update((ui.get("ui:options") or {}).get("attrs", {}))
        return attrs

    def build(
        self,
        schema: dict,
        ui: dict,
        values: Any,
        path: tuple = (),
        required: bool = False,
        readonly: bool = False,
        key: str = "",
    ) -> Field:
        """The field for ``schema`` at ``path`` with its current ``values``."""
        ui = ui or {}
        readonly = readonly or bool(ui.get("ui:readonly") or schema.get("readOnly"))
        common = {
            "name": html_name(path),
            "path": path,
            "label": label_of(schema, key, self.locale, self.translate),
            "required": required,
            "help": ui.get("ui:help") or schema.get("description"),
            "placeholder": ui.get("ui:placeholder"),
            "readonly": readonly,
            "error": self.errors.get(pointer(path)),
        }
        kind = schema.get("type")
        if kind == "object":
            return Field(
                widget="fieldset",
                children=self.properties(schema, ui, values or {}, path, readonly),
                **common,
            )
        if kind == "array" and (schema.get("items") or {}).get("type") == "object":
            return self._table(schema, ui, values or [], path, common)
        rule = file_rule(schema, ui, self.upload_cap)
        if rule is not None:
            return self._file(rule, values, common)
        options = self._options(schema)
        value = values if values is not None else schema.get("default")
        return Field(
            widget=self._widget(schema, ui, options),
            value=value,
            options=options,
            attrs=self._attrs(schema, ui),
            **common,
        )

    def _file(self, rule: FileRule, value: Any, common: dict) -> Field:
        attrs: dict[str, Any] = {"accept": rule.accept_attr, "types": rule.types_text}
        if rule.max_bytes is not None:
            attrs.update({"max_bytes": rule.max_bytes, "max_text": human_size(rule.max_bytes)})
        known = self.file_info(value) if self.file_info and isinstance(value, str) and value else None
        return Field(widget="file", value=value, attrs=attrs, file=known, **common)

    def _table(self, schema: dict, ui: dict, rows: list, path: tuple, common: dict) -> Field:
        items = schema["items"]
        item_ui = ui.get("items") or {}
        built = [
            self.properties(
                items, item_ui, row if isinstance(row, dict) else {}, (*path, i), common["readonly"]
            )
            for i, row in enumerate(rows)
        ]
        template = self.properties(items, item_ui, {}, (*path, "__index__"), common["readonly"])
        attrs = {k: schema[k] for k in ("minItems", "maxItems") if k in schema}
        return Field(widget="table", rows=built, columns=template, attrs=attrs, **common)

    def properties(self, schema: dict, ui: dict, values: dict, path: tuple, readonly: bool) -> list[Field]:
        """Fields of an object's properties, in ``ui:order``, including conditional ones."""
        required = set(schema.get("required") or [])
        props = dict(schema.get("properties") or {})
        conditional = _conditional_properties(schema)
        for name, (sub, _cond) in conditional.items():
            props.setdefault(name, sub)
        order = [n for n in (ui.get("ui:order") or []) if n in props and n != "*"]
        order += [n for n in props if n not in order]
        fields = []
        for name in order:
            built = self.build(
                props[name],
                ui.get(name) or {},
                values.get(name),
                (*path, name),
                name in required,
                readonly,
                key=name,
            )
            if name in conditional:
                rule = conditional[name][1]
                built.show_if = {**rule, "field": html_name((*path, rule["field"]))}
                built.required = name in rule.get("required", ())
            fields.append(built)
        return fields


def _condition(if_schema: dict) -> tuple[str, list] | None:
    props = if_schema.get("properties") or {}
    if len(props) != 1:
        return None
    ((name, rule),) = props.items()
    if "const" in rule:
        return name, [rule["const"]]
    if "enum" in rule:
        return name, list(rule["enum"])
    return None


def _conditional_properties(schema: dict) -> dict[str, tuple[dict, dict]]:
    """Properties that ``then``/``else`` add, with when to show them ({field, values, negate, required})."""
    found: dict[str, tuple[dict, dict]] = {}
    condition = _condition(schema.get("if") or {})
    if condition is None:
        return found
    name, values = condition
    for branch, negate in (("then", False), ("else", True)):
        sub = schema.get(branch) or {}
        for prop, prop_schema in (sub.get("properties") or {}).items():
            rule = {
                "field": name,
                "values": values,
                "negate": negate,
                "required": list(sub.get("required") or []),
            }
            found.setdefault(prop, (prop_schema, rule))
    return found


def build_form(
    schema: dict,
    uischema: dict | None,
    values: dict | None,
    errors: dict[str, str] | None,
    locale: str,
    translate: Callable[[str], str],
    file_info: Callable[[str], dict | None] | None = None,
    upload_cap: int | None = None,
    readonly: bool = False,
    prefix: str | None = None,
) -> list[Field]:
    """The top-level fields of a form (all read-only with ``readonly``, e.g. an earlier step's data;
    ``prefix`` puts the input names under a key of their own so they never meet another form's).

    ``file_info`` describes the stored file behind a file field's token ({name, url, size}, or
    None when the viewer may not see it); ``upload_cap`` is the platform's largest upload.
    """
    builder = Builder(locale, translate, errors or {}, file_info, upload_cap)
    return builder.properties(schema, uischema or {}, values or {}, (prefix,) if prefix else (), readonly)


def has_file_field(fields: list[Field]) -> bool:
    """Does the form take a file anywhere (so it must post as multipart/form-data)?"""
    return any(f.widget == "file" or has_file_field(f.children) or has_file_field(f.columns) for f in fields)
