"""Safe XML parsing: DOCTYPEs, entities, PIs and oversized or malformed files are refused."""

import time
from pathlib import Path

import pytest

from app.engine.xml_safety import MAX_XML_BYTES, XmlRefused, parse_xml

BPMN = Path(__file__).parent.parent / "data" / "bpmn"

LAUGHS = "\n".join(
    f'  <!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' if n else '  <!ENTITY lol0 "lol">' for n in range(10)
)
BILLION_LAUGHS = f'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n{LAUGHS}\n]>\n<lolz a="&lol9;">&lol9;</lolz>'


def refused(content: bytes) -> XmlRefused:
    """Parse ``content`` expecting a refusal within a fraction of a second."""
    started = time.perf_counter()
    with pytest.raises(XmlRefused) as caught:
        parse_xml(content, "upload.bpmn")
    assert time.perf_counter() - started < 0.5
    return caught.value


def utf16(text: str) -> bytes:
    """``text`` re-encoded as UTF-16, so a byte search for <!DOCTYPE cannot see it."""
    return text.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>').encode("utf-16")


@pytest.mark.parametrize("encode", [str.encode, utf16], ids=["utf8", "utf16"])
def test_external_entity_is_refused_and_never_read(tmp_path, encode):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    xml = f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>\n<r>&x;</r>'
    error = refused(encode(xml))
    assert "DOCTYPE" in error.message
    assert "TOP-SECRET-42" not in str(error)


@pytest.mark.parametrize("encode", [str.encode, utf16], ids=["utf8", "utf16"])
def test_billion_laughs_is_refused_fast(encode):
    refused(encode(BILLION_LAUGHS))


def test_external_dtd_is_refused_without_network():
    error = refused(b'<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "http://example.invalid/r.dtd">\n<r/>')
    assert error.line == 2


def test_malformed_xml_reports_the_line():
    error = refused(b"<a>\n  <b>\n</a>\n")
    assert error.line == 3
    assert error.message.startswith("malformed XML")
    assert "upload.bpmn:3" in str(error)


def test_undefined_entity_is_malformed():
    assert refused(b"<a>&x;</a>").line == 1


def test_processing_instructions_are_refused():
    error = refused(b'<?xml version="1.0"?>\n<?xml-stylesheet href="x.xsl"?>\n<a/>')
    assert error.line == 2
    assert "xml-stylesheet" in error.message


def test_oversize_file_is_refused_before_parsing():
    error = refused(b"<a>" + b" " * MAX_XML_BYTES + b"</a>")
    assert error.line is None
    assert "MiB" in error.message


def test_valid_bpmn_parses_with_line_numbers():
    root = parse_xml((BPMN / "approval_clean.bpmn").read_bytes(), "approval_clean.bpmn")
    assert root.tag == "{http://www.omg.org/spec/BPMN/20100524/MODEL}definitions"
    review = root.find(".//{*}userTask")
    assert review.get("id") == "review"
    assert review.sourceline > 1


def test_comments_are_kept():
    root = parse_xml(b"<!-- exported by a modeller -->\n<a><!-- note --><b/></a>", "c.bpmn")
    assert len(root) == 2
