"""ISO 19139 records written inline, for the cases no fixture has.

``build(...)`` writes a small ``gmd:MD_Metadata`` document whose parts a test replaces with XML
snippets (a GetRecordById coupling, a conflicting access constraint, a record without title);
``text``, ``anchor``, ``online``, ``party`` and ``legal`` write the snippets.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from harvesters.iso import IsoRecord

ReadFixture = Callable[[str], IsoRecord]  # the iso_file fixture (conftest.py)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "iso19139"
NAMESPACES = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in {
    "gmd": "http://www.isotc211.org/2005/gmd", "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx", "gmi": "http://www.isotc211.org/2005/gmi",
    "srv": "http://www.isotc211.org/2005/srv", "gml": "http://www.opengis.net/gml/3.2",
    "xlink": "http://www.w3.org/1999/xlink"}.items())
CODES = "http://standards.iso.org/iso/19139/resources/gmxCodelists.xml"


def text(value: str) -> str:
    return f"<gco:CharacterString>{value}</gco:CharacterString>"


def anchor(value: str, href: str) -> str:
    return f'<gmx:Anchor xlink:href="{href}">{value}</gmx:Anchor>'


def online(url: str, protocol: str = "", function: str = "", name: str = "") -> str:
    """A gmd:onLine of the distribution info."""
    parts = [f"<gmd:linkage><gmd:URL>{url}</gmd:URL></gmd:linkage>"]
    if protocol:
        parts.append(f"<gmd:protocol>{text(protocol)}</gmd:protocol>")
    if name:
        parts.append(f"<gmd:name>{text(name)}</gmd:name>")
    if function:
        parts.append(f'<gmd:function><gmd:CI_OnLineFunctionCode codeList="{CODES}#'
                     f'CI_OnLineFunctionCode" codeListValue="{function}"/></gmd:function>')
    resource = "".join(parts)
    return f"<gmd:onLine><gmd:CI_OnlineResource>{resource}</gmd:CI_OnlineResource></gmd:onLine>"


def party(name: str, role: str, email: str = "", element: str = "gmd:pointOfContact") -> str:
    address = (f"<gmd:contactInfo><gmd:CI_Contact><gmd:address><gmd:CI_Address>"
               f"<gmd:electronicMailAddress>{text(email)}</gmd:electronicMailAddress>"
               f"</gmd:CI_Address></gmd:address></gmd:CI_Contact></gmd:contactInfo>"
               if email else "")
    return (f"<{element}><gmd:CI_ResponsibleParty><gmd:organisationName>{text(name)}"
            f"</gmd:organisationName>{address}<gmd:role><gmd:CI_RoleCode codeList="
            f'"{CODES}#CI_RoleCode" codeListValue="{role}"/></gmd:role>'
            f"</gmd:CI_ResponsibleParty></{element}>")


def legal(other: str, access: str = "otherRestrictions") -> str:
    """An MD_LegalConstraints with one access restriction code and one otherConstraints."""
    return (f"<gmd:resourceConstraints><gmd:MD_LegalConstraints><gmd:accessConstraints>"
            f'<gmd:MD_RestrictionCode codeList="{CODES}#MD_RestrictionCode" '
            f'codeListValue="{access}"/></gmd:accessConstraints><gmd:otherConstraints>{other}'
            f"</gmd:otherConstraints></gmd:MD_LegalConstraints></gmd:resourceConstraints>")


def build(*, identifier: str | None = "urn:test:baumkataster", level: str = "dataset",
          date_stamp: str | None = "<gco:Date>2024-05-02</gco:Date>",
          title: str | None = text("Baumkataster"),
          abstract: str | None = text("Alle Bäume der Stadt"), language: str = "ger",
          citation: str = "", metadata: str = "", identification: str = "", links: str = "",
          service: bool = False, root: str = "gmd:MD_Metadata",
          encoding: str = "UTF-8") -> bytes:
    """A small ISO 19139 record; every part is an XML snippet (None leaves it out)."""
    kind = "srv:SV_ServiceIdentification" if service else "gmd:MD_DataIdentification"
    parts = [
        f"<gmd:fileIdentifier>{text(identifier)}</gmd:fileIdentifier>" if identifier else "",
        f'<gmd:language><gmd:LanguageCode codeList="http://www.loc.gov/standards/iso639-2/" '
        f'codeListValue="{language}"/></gmd:language>',
        f'<gmd:hierarchyLevel><gmd:MD_ScopeCode codeList="{CODES}#MD_ScopeCode" '
        f'codeListValue="{level}"/></gmd:hierarchyLevel>',
        f"<gmd:dateStamp>{date_stamp}</gmd:dateStamp>" if date_stamp is not None else "",
        metadata,
        f"<gmd:identificationInfo><{kind}><gmd:citation><gmd:CI_Citation>"
        + (f"<gmd:title>{title}</gmd:title>" if title is not None else "")
        + f"{citation}</gmd:CI_Citation></gmd:citation>"
        + (f"<gmd:abstract>{abstract}</gmd:abstract>" if abstract is not None else "")
        + f"{identification}</{kind}></gmd:identificationInfo>",
        (f"<gmd:distributionInfo><gmd:MD_Distribution><gmd:transferOptions>"
         f"<gmd:MD_DigitalTransferOptions>{links}</gmd:MD_DigitalTransferOptions>"
         f"</gmd:transferOptions></gmd:MD_Distribution></gmd:distributionInfo>" if links else ""),
    ]
    document = (f'<?xml version="1.0" encoding="{encoding}"?>\n'
                f'<{root} {NAMESPACES}>{"".join(parts)}</{root}>')
    return document.encode(encoding)


