"""What makes ``report.pdf`` a PDF/A-3b archive that carries its own data: the files embedded in it and the
XMP metadata that names the assessment.

PDF/A-3 is the part of ISO 19005 that allows embedded files of any type, as long as each is an *associated
file* with a MIME type and a relationship to the document (WeasyPrint writes the ``AF`` entries and the
relationship we give). One PDF emailed to an auditor then carries the machine-readable results with it. The
PDF cannot carry its own digest, and ``SHA256SUMS`` lists the PDF's, so the embedded digest list covers the
files written before the PDF. Which PDF/A rules the tests verify, and which not: docs/report.md.

WeasyPrint writes the standard XMP fields from the report's ``<head>`` (title, description, keywords, creator
tool, dates) and the ``pdfaid`` identification; the structured facts (run id, accounts, regions, assessment
date, tool version) are added in auditpack's own XMP namespace, declared with a PDF/A extension schema as
PDF/A requires for any property outside the predefined schemas.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, SubElement, register_namespace, tostring

from auditpack.digests import RECORDS, format_sums, sha256_file
from auditpack.models import Assessment, EvidenceFile

VARIANT = "pdf/a-3b"
DIGEST_LIST = "pack-SHA256SUMS.txt"
# Embedded with AFRelationship Data: the results the report presents, in machine-readable form.
DATA_FILES = {
    "assessment.json": "The assessment this report presents (auditpack's JSON; auditpack schema prints its schema).",
    "assessment-results.oscal.json": "The same results as an OSCAL 1.2.3 assessment-results document.",
}

XMP_NS = "https://auditpack.dev/ns/xmp/1.0/"
XMP_PREFIX = "auditpack"
NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
    XMP_PREFIX: XMP_NS,
}
for _prefix, _uri in NS.items():  # the prefixes PDF/A's extension schema texts use, not ElementTree's ns0...
    register_namespace(_prefix, _uri)
# name -> (PDF/A value type, description): the extension schema is built from this one table.
XMP_PROPERTIES = {
    "runId": ("Text", "auditpack run id of the assessment (a UUID)"),
    "accounts": ("bag Text", "AWS account ids assessed"),
    "regions": ("bag Text", "AWS regions assessed"),
    "assessmentDate": ("Date", "when the assessment finished (UTC)"),
    "toolVersion": ("Text", "name and version of the tool that assessed"),
}


@dataclass(frozen=True)
class Embedded:
    """One file to embed: its name in the PDF, its bytes' source, and how it relates to the document."""

    name: str
    relationship: str  # Data or Supplement (ISO 32000-2 7.11.3, as PDF/A-3 uses it)
    description: str
    path: Path | None = None
    text: str | None = None


def embedded_files(pack: Path, evidence: Mapping[str, EvidenceFile], pdf_name: str) -> list[Embedded]:
    """The data files present in the pack, then the digest list of every file written so far (the PDF
    ``pdf_name`` and the records written after it excluded)."""
    files = [Embedded(name, "Data", why, path=pack / name) for name, why in DATA_FILES.items()
             if (pack / name).is_file()]
    files.append(Embedded(DIGEST_LIST, "Supplement",
                          "SHA-256 of every file of the pack written before this PDF (evidence and the other "
                          "outputs), in the format sha256sum -c reads; run it in the pack's folder.",
                          text=digest_list(pack, evidence, exclude={pdf_name, *RECORDS})))
    return files


def digest_list(pack: Path, evidence: Mapping[str, EvidenceFile], exclude: set[str]) -> str:
    """``SHA256SUMS`` lines for the files in ``pack`` now, reusing the evidence digests already known."""
    hashes: dict[str, str] = {}
    for root, _dirs, names in os.walk(pack, followlinks=False):
        for name in names:
            path = Path(root) / name
            rel = path.relative_to(pack).as_posix()
            if rel in exclude or path.is_symlink():
                continue
            known = evidence.get(rel)
            hashes[rel] = known.sha256 if known else sha256_file(path)
    return format_sums(hashes)


def xmp_extension(assessment: Assessment) -> bytes:
    """An ``rdf:RDF`` block with auditpack's properties and the PDF/A extension schema that declares them
    (WeasyPrint appends it to the XMP packet it writes)."""
    rdf = Element(_q("rdf", "RDF"))
    values = SubElement(rdf, _q("rdf", "Description"), {_q("rdf", "about"): ""})
    _text(values, "runId", assessment.run.id)
    _bag(values, "accounts", assessment.scope.accounts)
    _bag(values, "regions", assessment.scope.regions)
    _text(values, "assessmentDate", assessment.run.finished_at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    _text(values, "toolVersion", f"{assessment.tool.name} {assessment.tool.version}")

    schemas = SubElement(SubElement(rdf, _q("rdf", "Description"), {_q("rdf", "about"): ""}),
                         _q("pdfaExtension", "schemas"))
    schema = SubElement(SubElement(schemas, _q("rdf", "Bag")), _q("rdf", "li"), {_q("rdf", "parseType"): "Resource"})
    SubElement(schema, _q("pdfaSchema", "schema")).text = "auditpack assessment"
    SubElement(schema, _q("pdfaSchema", "namespaceURI")).text = XMP_NS
    SubElement(schema, _q("pdfaSchema", "prefix")).text = XMP_PREFIX
    properties = SubElement(SubElement(schema, _q("pdfaSchema", "property")), _q("rdf", "Seq"))
    for name, (value_type, description) in XMP_PROPERTIES.items():
        item = SubElement(properties, _q("rdf", "li"), {_q("rdf", "parseType"): "Resource"})
        SubElement(item, _q("pdfaProperty", "name")).text = name
        SubElement(item, _q("pdfaProperty", "valueType")).text = value_type
        SubElement(item, _q("pdfaProperty", "category")).text = "external"
        SubElement(item, _q("pdfaProperty", "description")).text = description
    return tostring(rdf, encoding="utf-8", xml_declaration=False)


def attachment_source(f: Embedded) -> str:
    """What WeasyPrint is handed for ``f``: its text, or for a file a placeholder the finisher replaces.

    WeasyPrint reads an attached file whole and keeps it uncompressed until the PDF is written, beside the
    laid-out pages: at a large account that is the data files' full size (hundreds of MB of JSON) on top of
    the full pack's peak. ``EmbeddedFiles`` instead compresses each file from disk in chunks."""
    return f.text if f.path is None else f"auditpack-embedded-file:{f.name}"


class EmbeddedFiles:
    """WeasyPrint's finisher hook: fill in the files given as placeholders, and list each associated file once.

    A file's content is Flate-compressed as it is read, and its ``Size`` and ``CheckSum`` (the MD5 of the
    content, ISO 32000 7.11.4) are set from it. WeasyPrint 70 adds each embedded file's reference to the
    catalog's ``AF`` array twice (once from the name tree, once from the file spec): kept once.
    """

    CHUNK = 1 << 20

    def __init__(self, files: list[Embedded]) -> None:
        self.paths = {attachment_source(f).encode("utf-8"): f.path for f in files if f.path is not None}

    def __call__(self, document: object, pdf: Any) -> None:
        for stream in pdf.objects:
            content = getattr(stream, "stream", None)
            if getattr(stream, "extra", {}).get("Type") == "/EmbeddedFile" and content and content[0] in self.paths:
                self.fill(stream, self.paths[content[0]])
        catalog = getattr(pdf, "catalog", {})
        if "AF" in catalog:
            unique = list(dict.fromkeys(catalog["AF"]))
            catalog["AF"].clear()
            catalog["AF"].extend(unique)

    def fill(self, stream: Any, path: Path) -> None:
        digest, size, packer, parts = hashlib.md5(usedforsecurity=False), 0, zlib.compressobj(), []
        with path.open("rb") as handle:
            while chunk := handle.read(self.CHUNK):
                digest.update(chunk)
                size += len(chunk)
                parts.append(packer.compress(chunk))
        parts.append(packer.flush())
        stream.stream = [b"".join(parts)]
        stream.compress = False  # compressed already: pydyf writes it as it is, under the filter named here
        stream.extra["Filter"] = "/FlateDecode"
        stream.extra["Params"]["Size"] = size
        stream.extra["Params"]["CheckSum"] = f"<{digest.hexdigest()}>"


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _text(parent: Element, name: str, value: str) -> None:
    if name not in XMP_PROPERTIES:
        raise KeyError(f"bug: XMP property {name} is not declared in XMP_PROPERTIES")
    SubElement(parent, _q(XMP_PREFIX, name)).text = value


def _bag(parent: Element, name: str, values: list[str]) -> None:
    if name not in XMP_PROPERTIES:
        raise KeyError(f"bug: XMP property {name} is not declared in XMP_PROPERTIES")
    bag = SubElement(SubElement(parent, _q(XMP_PREFIX, name)), _q("rdf", "Bag"))
    for value in values:
        SubElement(bag, _q("rdf", "li")).text = value
