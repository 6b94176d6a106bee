"""report.pdf as PDF/A-3b, read back with pypdf: the files it carries are byte-identical to the pack's, the XMP
claims PDF/A-3B and names the assessment, every font is embedded, and the other PDF/A rules that can be
checked without a full validator hold (docs/report.md lists which are and which are not)."""

from __future__ import annotations

import hashlib
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from auditpack.digests import parse_sums, sha256_file
from auditpack.library.config import Config
from auditpack.pack.lifecycle import PackBuilder
from auditpack.pack.verify import verify
from auditpack.render.pdfa import DIGEST_LIST, XMP_NS, XMP_PROPERTIES
from tests.formats_support import synthetic_assessment
from tests.helpers import run_cli

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XMP = {"rdf": RDF, "pdfaid": "http://www.aiim.org/pdfa/ns/id/", "dc": "http://purl.org/dc/elements/1.1/",
       "xmp": "http://ns.adobe.com/xap/1.0/", "pdf": "http://ns.adobe.com/pdf/1.3/",
       "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#", "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
       "auditpack": XMP_NS}


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pdfa") / "pack"
    with PackBuilder(out) as builder:
        assessment = synthetic_assessment(builder.path)
        builder.write(assessment, Config(), ["oscal", "html", "pdf"])
        builder.seal(assessment, sealed_by="auditpack scan")
        return builder.publish()


def catalog(reader: PdfReader) -> DictionaryObject:
    return reader.trailer["/Root"].get_object()


def xmp(reader: PdfReader) -> ET.Element:
    packet = catalog(reader)["/Metadata"].get_object().get_data()
    return ET.fromstring(packet[packet.index(b"<x:xmpmeta"):packet.rindex(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")])


def described(root: ET.Element, name: str) -> list[str]:
    """Every value of an XMP property, written as an attribute or as an element (simple or in an array)."""
    prefix, local = name.split(":")
    qualified = f"{{{XMP[prefix]}}}{local}"
    values = []
    for description in root.iter(f"{{{RDF}}}Description"):
        if qualified in description.attrib:
            values.append(description.attrib[qualified])
        for element in description.findall(qualified):
            items = element.findall(f".//{{{RDF}}}li")
            values.extend(i.text or "" for i in items) if items else values.append(element.text or "")
    return values


def nested(root: ET.Element, name: str) -> list[str]:
    """The texts of an element at any depth (the fields of an extension schema)."""
    prefix, local = name.split(":")
    return [el.text or "" for el in root.iter(f"{{{XMP[prefix]}}}{local}")]


def test_the_pdf_carries_the_assessment_and_the_oscal_results_byte_for_byte(pack):
    reader = PdfReader(pack / "report.pdf")
    attached = reader.attachments
    for name in ("assessment.json", "assessment-results.oscal.json"):
        assert attached[name] == [(pack / name).read_bytes()], name


def test_each_embedded_file_declares_its_size_and_md5_and_is_stored_compressed(pack):
    """A PDF reader checks an embedded file by its ``Params`` (ISO 32000 7.11.4): the size and MD5 of the
    content it decodes. The data files are compressed as they are read from the pack, never held whole."""
    reader = PdfReader(pack / "report.pdf")
    names = reader.trailer["/Root"]["/Names"]["/EmbeddedFiles"]["/Names"]
    specs = {names[i]: names[i + 1].get_object() for i in range(0, len(names), 2)}
    for name in ("assessment.json", "assessment-results.oscal.json", DIGEST_LIST):
        stream = specs[name]["/EF"]["/F"].get_object()
        content = stream.get_data()
        assert stream["/Filter"] == "/FlateDecode", name
        assert stream["/Params"]["/Size"] == len(content), name
        checksum = stream["/Params"]["/CheckSum"]  # a hex string, which pypdf may decode as text
        assert getattr(checksum, "original_bytes", checksum) == hashlib.md5(content).digest(), name
        if name != DIGEST_LIST:
            assert content == (pack / name).read_bytes(), name


def test_the_embedded_digest_list_covers_every_file_written_before_the_pdf(pack):
    listed, bad = parse_sums(PdfReader(pack / "report.pdf").attachments[DIGEST_LIST][0].decode("utf-8"))
    assert bad == []
    evidence = sorted(p.relative_to(pack).as_posix() for p in (pack / "evidence").rglob("*") if p.is_file())
    assert evidence and set(evidence) <= set(listed)
    assert {"assessment.json", "assessment-results.oscal.json", "report.html"} <= set(listed)
    assert not {"report.pdf", "manifest.json", "SHA256SUMS"} & set(listed), "written after the PDF"
    for rel, digest in listed.items():
        assert sha256_file(pack / rel) == digest, rel  # what sha256sum -c would say in the pack's folder


def test_the_printed_digest_pins_the_embedded_list_and_sha256sums_gives_it_without_the_pdf(pack):
    """A paper copy proves which evidence it describes: the one digest it prints is that of the embedded list,
    and the pack's own SHA256SUMS, less the lines written after the PDF, hashes to the same digest."""
    reader = PdfReader(pack / "report.pdf")
    listed = reader.attachments[DIGEST_LIST][0]
    digest = hashlib.sha256(listed).hexdigest()
    text = " ".join(page.extract_text() for page in reader.pages)
    assert digest in text.replace("\n", "")
    kept = [line for line in (pack / "SHA256SUMS").read_text().splitlines(keepends=True)
            if not line.rstrip("\n").endswith(("  report.pdf", "  manifest.json"))]
    assert hashlib.sha256("".join(kept).encode()).hexdigest() == digest
    files = listed.count(b"\n")
    assert f"{files} files" in text


def test_every_embedded_file_is_an_associated_file_with_a_type_and_a_relationship(pack):
    reader = PdfReader(pack / "report.pdf")
    root = catalog(reader)
    specs = [ref.get_object() for ref in root["/AF"]]
    assert len(specs) == len({id(s) for s in specs}) == 3, "each file once in the catalog's AF"
    relationships = {str(s["/F"]): str(s["/AFRelationship"]) for s in specs}
    assert relationships == {"assessment.json": "/Data", "assessment-results.oscal.json": "/Data",
                             DIGEST_LIST: "/Supplement"}
    for spec in specs:
        stream = spec["/EF"]["/F"].get_object()
        assert stream["/Subtype"] in ("/application#2fjson", "/text#2fplain", "/application/json", "/text/plain")
        assert "/ModDate" in stream["/Params"], "PDF/A-3 wants the embedded file's modification date"
        assert spec["/UF"] and spec["/Desc"]


def test_the_xmp_claims_pdf_a_3b_and_names_the_assessment(pack):
    reader = PdfReader(pack / "report.pdf")
    root = xmp(reader)
    assert described(root, "pdfaid:part") == ["3"]
    assert described(root, "pdfaid:conformance") == ["B"]
    assessment = synthetic_assessment(pack)
    assert described(root, "auditpack:runId") == [assessment.run.id]
    assert described(root, "auditpack:accounts") == assessment.scope.accounts
    assert described(root, "auditpack:regions") == assessment.scope.regions
    assert described(root, "auditpack:assessmentDate") == ["2026-11-02T09:04:30Z"]
    assert described(root, "auditpack:toolVersion") == [f"auditpack {assessment.tool.version}"]
    (title,) = described(root, "dc:title")
    assert "Security Control Assessment Report" in title
    # PDF/A: a property outside the predefined schemas is declared by an extension schema, with its prefix.
    assert nested(root, "pdfaSchema:namespaceURI") == [XMP_NS]
    assert nested(root, "pdfaSchema:prefix") == ["auditpack"]
    assert set(nested(root, "pdfaProperty:name")) == set(XMP_PROPERTIES)
    used = {el.tag.split("}")[1] for el in root.iter() if el.tag.startswith(f"{{{XMP_NS}}}")}
    assert used <= set(XMP_PROPERTIES)
    # PDF/A: the document information dictionary says what the XMP says.
    info = reader.metadata
    assert info.title == title
    assert described(root, "xmp:CreatorTool") == [info.creator]
    assert described(root, "pdf:Producer") == [info.producer]


def _fonts(resources: DictionaryObject, seen: set[int]):
    for ref in (resources.get("/Font") or {}).values():
        if ref.idnum not in seen:
            seen.add(ref.idnum)
            yield ref.get_object()
    for ref in (resources.get("/XObject") or {}).values():
        xobject = ref.get_object()
        if xobject.get("/Resources") is not None and ref.idnum not in seen:
            seen.add(ref.idnum)
            yield from _fonts(xobject["/Resources"].get_object(), seen)


def test_every_font_is_embedded(pack):
    reader = PdfReader(pack / "report.pdf")
    seen: set[int] = set()
    fonts = [f for page in reader.pages for f in _fonts(page["/Resources"].get_object(), seen)]
    assert fonts
    for font in fonts:
        if font["/Subtype"] == "/Type3":  # glyphs drawn by the PDF's own content streams
            continue
        target = font["/DescendantFonts"][0].get_object() if font["/Subtype"] == "/Type0" else font
        descriptor = target["/FontDescriptor"].get_object()
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font.get("/BaseFont")


def test_the_other_pdf_a_rules_checked_here(pack):
    data = (pack / "report.pdf").read_bytes()
    reader = PdfReader(pack / "report.pdf")
    root = catalog(reader)
    assert data.startswith(b"%PDF-1.7"), "PDF/A-3 is based on PDF 1.7"
    assert not reader.is_encrypted
    ids = reader.trailer["/ID"]
    assert len(ids) == 2 and all(ids)
    (intent,) = root["/OutputIntents"]
    intent = intent.get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    assert intent["/DestOutputProfile"].get_object()["/N"] == 3, "an RGB (sRGB) ICC profile"
    assert "/JavaScript" not in root.get("/Names", {}) and "/OpenAction" not in root
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            assert int(annotation.get("/F", 0)) & 4, "annotations are printed"
            action = annotation.get("/A")
            assert action is None or action.get_object().get("/S") not in ("/Launch", "/JavaScript")


def test_a_rerendered_pdf_carries_the_pack_as_it_is_now(pack, tmp_path, capsys):
    """``auditpack report --format pdf`` embeds the files the re-rendered pack holds, which still verify."""
    copy = tmp_path / "copy"
    shutil.copytree(pack, copy)
    run = run_cli(capsys, "report", str(copy), "--format", "pdf", "--quiet")
    assert run.code == 0, run.stderr
    assert verify(copy).intact
    attached = PdfReader(copy / "report.pdf").attachments
    assert attached["assessment.json"] == [(copy / "assessment.json").read_bytes()]
    listed, _ = parse_sums(attached[DIGEST_LIST][0].decode())
    assert listed["report.html"] == sha256_file(copy / "report.html")
