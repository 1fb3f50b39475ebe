"""File fields: names made safe, content checked against the name and the field's limits."""

import pytest

from app.domain.errors import ValidationFailed
from app.formkit.uploads import (
    FileRule,
    check_file,
    file_rule,
    file_values,
    human_size,
    path_of,
    rule_at,
    safe_name,
    stored_problem,
)

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
RULE = FileRule()


def refusal(name, content, rule=RULE):
    with pytest.raises(ValidationFailed) as refused:
        check_file(name, content, rule, "scan")
    return refused.value.errors["scan"]


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\system32\\evil.pdf", "evil.pdf"),
        ("C:\\Users\\me\\营业执照.pdf", "营业执照.pdf"),
        ("re\x00port\n\r\t.pdf", "report.pdf"),
        ("..", "file"),
        (".htaccess", "htaccess"),
        ('a<b>c:"d|e?f*.pdf', "a_b_c__d_e_f_.pdf"),
        ("", "file"),
        (None, "file"),
        ("x\u202egnp.pdf", "xgnp.pdf"),  # a right-to-left override cannot disguise the extension
    ],
)
def test_names_are_made_safe(raw, safe):
    assert safe_name(raw) == safe


def test_long_names_are_cut_keeping_the_extension():
    name = safe_name("a" * 500 + ".pdf")
    assert len(name) == 200 and name.endswith("aaa.pdf")


def test_a_pdf_within_limits_is_accepted_with_its_detected_type():
    checked = check_file("../证照.PDF", PDF, RULE, "scan")
    assert (checked.name, checked.extension, checked.content_type) == ("证照.PDF", "pdf", "application/pdf")
    assert checked.size == len(PDF) and len(checked.sha256) == 64


@pytest.mark.parametrize(("name", "content"), [("photo.jpeg", JPG), ("photo.jpg", JPG), ("p.png", PNG)])
def test_images_are_accepted_by_default(name, content):
    assert check_file(name, content, RULE).content_type.startswith("image/")


def test_a_png_renamed_pdf_is_refused():
    assert refusal("scan.pdf", PNG) == "the file's content is not a PDF file"


def test_a_text_file_named_pdf_is_refused():
    assert refusal("scan.pdf", b"just some text, not a PDF at all") == "the file's content is not a PDF file"


def test_a_type_the_field_does_not_accept_is_refused_even_with_true_content():
    assert refusal("photo.png", PNG, FileRule(accept=("pdf",))) == "only these file types are allowed: PDF"
    assert refusal("setup.exe", b"MZ" + b"\x00" * 100).startswith("only these file types are allowed")
    assert refusal("noextension", PDF).startswith("only these file types are allowed")


def test_empty_and_oversized_files_are_refused():
    assert refusal("scan.pdf", b"") == "the file is empty"
    rule = FileRule(max_bytes=1024)
    assert refusal("scan.pdf", PDF + b"\x00" * 1024, rule) == "the file is larger than 1 KiB"
    assert check_file("scan.pdf", PDF + b"\x00" * (1024 - len(PDF)), rule).size == 1024


def test_refusals_carry_a_translatable_message_naming_the_field():
    with pytest.raises(ValidationFailed) as refused:
        check_file("a.pdf", b"", RULE, "docs/0/scan")
    assert refused.value.details == {"docs/0/scan": ("the file is empty", {})}


def test_file_fields_and_limits_come_from_schema_and_ui_options():
    data_url = {"type": "string", "format": "data-url"}
    widget = {"type": "string"}
    assert file_rule(data_url, {}) == FileRule()
    assert file_rule(widget, {}) is None
    ui = {"ui:widget": "file", "ui:options": {"accept": [".PDF", "png"], "maxSize": 2048}}
    assert file_rule(widget, ui) == FileRule(accept=("pdf", "png"), max_bytes=2048)
    assert file_rule(widget, ui, cap=1000).max_bytes == 1000  # the platform's cap wins
    assert file_rule(data_url, {"ui:options": {"maxSize": "big"}}, cap=500).max_bytes == 500
    assert file_rule({"type": "integer"}, {"ui:widget": "file"}) is None


def test_file_fields_are_found_in_nested_objects_and_table_rows():
    schema = {
        "type": "object",
        "properties": {
            "scan": {"type": "string", "format": "data-url"},
            "docs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"file": {"type": "string"}, "note": {"type": "string"}},
                },
            },
        },
    }
    ui = {"docs": {"items": {"file": {"ui:widget": "file", "ui:options": {"accept": [".png"]}}}}}
    assert rule_at(schema, ui, path_of("docs[1][file]"), None) == FileRule(accept=("png",), max_bytes=None)
    assert rule_at(schema, ui, path_of("docs[1][note]"), None) is None
    assert rule_at(schema, ui, path_of("nothing"), None) is None
    data = {"scan": "a" * 32, "docs": [{"file": "b" * 32, "note": "x"}]}
    assert [(p, v) for p, v, _ in file_values(schema, ui, data)] == [
        (("scan",), "a" * 32),
        (("docs", 0, "file"), "b" * 32),
    ]


def test_a_stored_file_must_fit_the_field_it_is_submitted_for():
    assert stored_problem("pdf", 100, FileRule(accept=("pdf",), max_bytes=1000)) is None
    assert stored_problem("jpeg", 100, FileRule(accept=("jpg",))) is None
    assert stored_problem("png", 100, FileRule(accept=("pdf",)))[0].startswith("only these")
    assert stored_problem("pdf", 2000, FileRule(max_bytes=1000))[0].startswith("the file is larger")


def test_sizes_read_well():
    assert [human_size(n) for n in (512, 1536, 10 * 1024 * 1024)] == ["512 bytes", "1.5 KiB", "10 MiB"]
