"""Sealing and verifying packs: coreutils can check SHA256SUMS, and ``auditpack verify`` names every file that
was changed, removed or added; ``auditpack report`` re-renders offline and re-seals only an intact pack."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from auditpack.emulator.seeding.monitoring import seed_logging
from auditpack.emulator.synthetic import synthetic_assessment
from auditpack.library.config import Config
from auditpack.pack.lifecycle import PackBuilder
from auditpack.pack.seal import format_sums, parse_sums, seal, sha256_file
from auditpack.pack.verify import verify
from tests.helpers import run_cli


@pytest.fixture(scope="module")
def sealed_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small pack made by the real writers and sealed as a scan seals it (no emulator needed)."""
    with PackBuilder(tmp_path_factory.mktemp("sealed") / "pack") as builder:
        assessment = synthetic_assessment(findings=120, controls=6, checks=6, accounts=2, pack=builder.path)
        builder.write(assessment, Config(), ["html", "pdf"])
        builder.seal(assessment, sealed_by="auditpack scan")
        return builder.publish()


@pytest.fixture
def pack(sealed_pack: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "pack"
    shutil.copytree(sealed_pack, copy)
    return copy


def sha256sum_check(pack: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=pack, capture_output=True,
                          text=True)


def test_a_scanned_pack_passes_coreutils_and_verify(aws, out_dir, capsys):
    seed_logging("us-east-1")
    run_cli(capsys, "scan", "--region", "us-east-1", "--out", str(out_dir), "--quiet", "--format", "html",
            "--control", "AU-9")
    checked = sha256sum_check(out_dir)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    listed = {line.split("  ", 1)[1] for line in (out_dir / "SHA256SUMS").read_text().splitlines()}
    on_disk = {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file()}
    assert listed == on_disk - {"SHA256SUMS"}  # every other file, the manifest included
    result = run_cli(capsys, "verify", str(out_dir))
    assert result.code == 0, result.stdout
    assert "intact" in result.stdout


def test_manifest_describes_every_file(pack):
    manifest = json.loads((pack / "manifest.json").read_text())
    files = {f["path"]: f for f in manifest["files"]}
    on_disk = {p.relative_to(pack).as_posix() for p in pack.rglob("*") if p.is_file()}
    assert set(files) == on_disk - {"manifest.json", "SHA256SUMS"}
    for rel, entry in files.items():
        assert entry["size"] == (pack / rel).stat().st_size
        assert len(entry["sha256"]) == 64
        assert entry["media_type"] and entry["produced_by"] != "unknown", rel
    assert files["report.html"]["media_type"] == "text/html"
    assert manifest["run_id"] and manifest["algorithm"] == "sha256"


def test_verify_names_a_changed_byte(pack, capsys):
    evidence = sorted((pack / "evidence").rglob("*.json"))[3]
    data = bytearray(evidence.read_bytes())
    data[10] ^= 0x01
    evidence.write_bytes(bytes(data))
    result = run_cli(capsys, "verify", str(pack))
    assert result.code == 1
    assert f"altered: {evidence.relative_to(pack).as_posix()}" in result.stdout.splitlines()
    assert sha256sum_check(pack).returncode != 0


def test_verify_names_a_removed_file(pack, capsys):
    (pack / "report.pdf").unlink()
    result = run_cli(capsys, "verify", str(pack))
    assert result.code == 1
    assert "missing: report.pdf" in result.stdout.splitlines()


def test_verify_names_an_added_file(pack, capsys):
    (pack / "evidence" / "notes.txt").write_text("added later\n")
    result = run_cli(capsys, "verify", str(pack))
    assert result.code == 1
    assert "added: evidence/notes.txt" in result.stdout.splitlines()


def test_editing_a_file_and_its_checksum_line_is_still_caught_by_the_manifest(pack, capsys):
    (pack / "assessment.json").write_text("{}\n")
    sums = parse_sums((pack / "SHA256SUMS").read_text())[0]
    sums["assessment.json"] = sha256_file(pack / "assessment.json")  # the forger fixes SHA256SUMS up
    (pack / "SHA256SUMS").write_text(format_sums(sums))
    assert sha256sum_check(pack).returncode == 0  # coreutils alone is satisfied by the fixed-up file
    result = run_cli(capsys, "verify", str(pack), "--json")
    assert result.code == 1
    assert "assessment.json" in json.loads(result.stdout)["altered"]


def test_an_edited_manifest_is_blamed_not_the_untouched_file_it_misrecords(pack, capsys):
    manifest = json.loads((pack / "manifest.json").read_text())
    entry = next(f for f in manifest["files"] if f["path"].startswith("evidence/"))
    entry["sha256"] = "0" * 64  # the manifest now disagrees with SHA256SUMS about a file nobody touched
    (pack / "manifest.json").write_text(json.dumps(manifest, indent=2))
    result = json.loads(run_cli(capsys, "verify", str(pack), "--json").stdout)
    assert result["altered"] == ["manifest.json"]
    assert any(entry["path"] in p and "manifest.json was edited" in p for p in result["problems"])


def test_an_edited_checksum_line_is_blamed_on_sha256sums(pack, capsys):
    sums = parse_sums((pack / "SHA256SUMS").read_text())[0]
    sums["report.html"] = "f" * 64
    (pack / "SHA256SUMS").write_text(format_sums(sums))
    result = json.loads(run_cli(capsys, "verify", str(pack), "--json").stdout)
    assert result["altered"] == ["SHA256SUMS"]
    assert any("report.html" in p and "SHA256SUMS was edited" in p for p in result["problems"])


def test_verify_of_a_folder_that_is_not_a_pack_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8")
    result = run_cli(capsys, "verify", str(tmp_path))
    assert result.code == 2
    assert "is not an auditpack pack" in result.stderr and "Traceback" not in result.stderr
    assert run_cli(capsys, "verify", str(tmp_path / "absent")).code == 2


def test_names_that_need_escaping_are_written_as_coreutils_expects(tmp_path):
    pack = tmp_path / "pack"
    (pack / "evidence").mkdir(parents=True)
    (pack / "assessment.json").write_text("{}")
    (pack / "evidence" / "back\\slash.json").write_text("1")
    (pack / "evidence" / "new\nline.json").write_text("2")
    seal(pack)
    assert sha256sum_check(pack).returncode == 0
    assert verify(pack).intact


def test_report_rerenders_offline_with_a_new_organization_name_and_reseals(pack, tmp_path, capsys):
    config = tmp_path / "auditpack.yaml"
    config.write_text("organization:\n  name: Renamed Holdings Ltd\n  system: Ledger\n"
                      "report:\n  prepared_by: A. Assessor\n  reviewed_by: R. Reviewer\n")
    before = (pack / "SHA256SUMS").read_text()
    evidence_before = {p: p.read_bytes() for p in (pack / "evidence").rglob("*.json")}

    result = run_cli(capsys, "report", str(pack), "--config", str(config))

    assert result.code == 0, result.stderr
    assert (pack / "SHA256SUMS").read_text() != before
    assert run_cli(capsys, "verify", str(pack)).code == 0
    assert sha256sum_check(pack).returncode == 0
    cover = PdfReader(pack / "report.pdf").pages[0].extract_text()
    assert "Renamed Holdings Ltd" in cover and "Ledger" in cover
    signoff = PdfReader(pack / "report.pdf").pages[-1].extract_text()
    assert "A. Assessor" in signoff and "R. Reviewer" in signoff
    assert "Renamed Holdings Ltd" in (pack / "report.html").read_text()
    assert json.loads((pack / "assessment.json").read_text())["organization"]["name"] == "Renamed Holdings Ltd"
    assert {p: p.read_bytes() for p in (pack / "evidence").rglob("*.json")} == evidence_before
    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["sealed_by"] == "auditpack report"
    assert {f["path"]: f["produced_by"] for f in manifest["files"]}["report.pdf"] == "output:pdf"


def test_report_refuses_a_pack_with_a_missing_file(pack, capsys):
    (pack / "report.html").unlink()
    result = run_cli(capsys, "report", str(pack))
    assert result.code == 1
    assert "missing: report.html" in result.stdout
    assert not (pack / "report.html").exists()  # nothing re-rendered, nothing re-sealed


def test_report_refuses_to_reseal_a_tampered_pack(pack, capsys):
    (pack / "report.html").write_text("<p>edited</p>")
    result = run_cli(capsys, "report", str(pack), "--format", "html")
    assert result.code == 1
    assert "altered: report.html" in result.stdout
    assert (pack / "report.html").read_text() == "<p>edited</p>"
    assert run_cli(capsys, "verify", str(pack)).code == 1


def test_report_rerenders_only_the_formats_asked_for(pack, capsys):
    pdf_before = (pack / "report.pdf").read_bytes()
    result = run_cli(capsys, "report", str(pack), "--format", "html", "--quiet")
    assert result.code == 0, result.stderr
    assert result.stdout == ""
    assert (pack / "report.pdf").read_bytes() == pdf_before
    assert run_cli(capsys, "verify", str(pack)).code == 0


def test_report_bad_input_is_one_line(pack, tmp_path, capsys):
    for args, expected in ((["report", str(tmp_path / "nowhere")], "not an auditpack pack"),
                           (["report", str(pack), "--format", "docx"], "unknown format")):
        result = run_cli(capsys, *args)
        assert result.code == 2
        assert expected in result.stderr and "Traceback" not in result.stderr


def test_report_seals_a_pack_that_was_never_sealed(pack, capsys):
    (pack / "SHA256SUMS").unlink()
    (pack / "manifest.json").unlink()
    assert run_cli(capsys, "verify", str(pack)).code == 1  # both records missing: not intact
    result = run_cli(capsys, "report", str(pack), "--format", "html")
    assert result.code == 0, result.stderr
    assert run_cli(capsys, "verify", str(pack)).code == 0
