"""Safe parsing of uploaded BPMN/DMN files.

Every upload goes through ``parse_xml`` before SpiffWorkflow sees it: the size is capped, entities
are never resolved, DTDs are never loaded, nothing is fetched from the network, and any DOCTYPE or
processing instruction is refused — so XXE and billion-laughs payloads are rejected, not expanded.
"""

from __future__ import annotations

from lxml import etree

MAX_XML_BYTES = 5 * 1024 * 1024
_DOCTYPE_REFUSED = "a DOCTYPE is not allowed (DTDs and entities are refused)"


class XmlRefused(Exception):
    """An uploaded XML file was refused: too large, malformed, or carrying a DOCTYPE or PI."""

    def __init__(self, message: str, line: int | None = None, filename: str | None = None) -> None:
        where = ":".join(str(part) for part in (filename, line) if part is not None)
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message
        self.line = line
        self.filename = filename


def _line_of(content: bytes, offset: int) -> int:
    """The 1-based line number of a byte offset."""
    return content.count(b"\n", 0, offset) + 1


def parse_xml(content: bytes, filename: str) -> etree._Element:
    """Parse ``content`` safely and return its root element (``sourceline`` is kept).

    Raises ``XmlRefused`` (with a line number where one is known) for files over
    ``MAX_XML_BYTES``, malformed XML, any DOCTYPE (so no entity is ever defined) and any
    processing instruction.
    """
    if len(content) > MAX_XML_BYTES:
        raise XmlRefused(f"file is larger than {MAX_XML_BYTES // (1024 * 1024)} MiB", filename=filename)
    # Fast path for the usual UTF-8/ASCII payload: refuse before libxml2 reads the DTD at all.
    # Other encodings (UTF-16) are caught by the docinfo check after the parse below.
    offset = content.find(b"<!DOCTYPE")
    if offset >= 0:
        raise XmlRefused(_DOCTYPE_REFUSED, _line_of(content, offset), filename)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise XmlRefused(f"malformed XML: {exc.msg}", exc.lineno, filename) from exc
    document = root.getroottree()
    if document.docinfo.doctype or document.docinfo.internalDTD is not None:
        raise XmlRefused(_DOCTYPE_REFUSED, None, filename)
    instructions = document.xpath("//processing-instruction()")
    if instructions:
        first = instructions[0]
        raise XmlRefused(
            f"processing instructions are not allowed (<?{first.target} …?>)", first.sourceline, filename
        )
    return root
