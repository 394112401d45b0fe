"""Untrusted XML in, an lxml tree out: the one XML parser of the harvesting core.

CSW answers and ISO 19139 records come from partners' servers. lxml's default parser
resolves internal entities and may read external DTDs; here nothing is resolved or
loaded: no network, no DTD, no entity expansion, and a document that declares a
``<!DOCTYPE`` at all is refused (ISO 19139 and CSW never need one, and it is the only
place where entities can be declared). Size and time are bounded before parsing, by the
fetcher (``harvesters.fetch``). Every failure is an ``XMLRefused`` naming what and where:
``line 3, column 7: …``.
"""
from __future__ import annotations

import re

from lxml import etree

_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False,
                       dtd_validation=False, huge_tree=False, remove_comments=True,
                       remove_pis=True)

_POSITION = re.compile(r",? line \d+, column \d+$")


class XMLRefused(ValueError):
    """The document is not well-formed XML, or it is XML we do not accept."""


def parse_xml(data: bytes, what: str = "document") -> etree._Element:
    """Parses ``data`` (its XML declaration decides the encoding) and returns the root.

    ``what`` names the document in messages ("CSW answer, page 3").
    """
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        line, column = error.position if error.position else (None, None)
        where = f"line {line}, column {column}: " if line else ""
        reason = _POSITION.sub("", error.msg)  # libxml2 sometimes repeats the position
        raise XMLRefused(f"{what}: not well-formed XML: {where}{reason}") from None
    except ValueError as error:  # e.g. a str with an encoding declaration
        raise XMLRefused(f"{what}: {error}") from None
    if root is None:
        raise XMLRefused(f"{what}: empty document")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XMLRefused(f"{what}: a <!DOCTYPE> declaration is not accepted (it could "
                         "declare entities or load external ones)")
    return root
