"""One lifecycle for every pack (stage, write, seal, publish): evidence is hashed once, a failed re-render
leaves the old pack as it was, and a merged pack shares no file with its inputs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from auditpack.emulator.seeding.monitoring import seed_logging
from auditpack.library.config import Config
from auditpack.pack import seal as seal_module
from auditpack.pack.lifecycle import PackBuilder
from auditpack.pack.verify import verify
from auditpack.render import FORMATS
from tests.formats_support import synthetic_assessment
from tests.helpers import run_cli


def test_evidence_is_hashed_when_written_and_never_again(aws, out_dir, capsys, monkeypatch):
    seed_logging("us-east-1")
    hashed: list[str] = []
    real = seal_module.sha256_file

    def counting(path: Path) -> str:
        hashed.append(path.as_posix())
        return real(path)

    monkeypatch.setattr(seal_module, "sha256_file", counting)
    result = run_cli(capsys, "scan", "--region", "us-east-1", "--out", str(out_dir), "--quiet",
                     "--control", "AU-9", "--format", "oscal,html")
    assert result.code in (0, 1), result.stderr
    assert [p for p in hashed if "/evidence/" in p] == [], "the seal reuses the recorder's digests"
    assert any(p.endswith("report.html") for p in hashed), "outputs are hashed once, by the seal"
    assert verify(out_dir).intact


def sealed(tmp_path: Path, name: str) -> Path:
    with PackBuilder(tmp_path / name) as builder:
        assessment = synthetic_assessment(builder.path)
        builder.write(assessment, Config(), ["html"])
        builder.seal(assessment, sealed_by="auditpack scan")
        return builder.publish()


def test_a_rerender_that_fails_leaves_the_old_pack_untouched(tmp_path, capsys):
    pack = sealed(tmp_path, "pack")
    before = {p.relative_to(pack): p.read_bytes() for p in pack.rglob("*") if p.is_file()}
    original = FORMATS["html"]

    def broken(assessment, ctx):
        (ctx.pack / "report.html").write_text("half a report")
        raise RuntimeError("the template broke")

    with FORMATS.substitute("html", dataclasses.replace(original, writer=broken)), \
            pytest.raises(RuntimeError, match="the template broke"):
        run_cli(capsys, "report", str(pack), "--format", "html")
    after = {p.relative_to(pack): p.read_bytes() for p in pack.rglob("*") if p.is_file()}
    assert after == before, "a carried file is a link to the old one: the writer must not have written into it"
    assert verify(pack).intact
    assert [p.name for p in tmp_path.iterdir()] == ["pack"], "the staging folder is gone"


def test_a_rerender_keeps_the_evidence_and_its_digests(tmp_path, capsys):
    pack = sealed(tmp_path, "pack")
    evidence = {p.relative_to(pack): p.read_bytes() for p in (pack / "evidence").rglob("*.json")}
    result = run_cli(capsys, "report", str(pack), "--format", "html", "--quiet")
    assert result.code == 0, result.stderr
    assert {p.relative_to(pack): p.read_bytes() for p in (pack / "evidence").rglob("*.json")} == evidence
    assert verify(pack).intact


@pytest.mark.parametrize("link", [True, False], ids=["rerender-links", "merge-copies"])
def test_carried_files_are_linked_only_when_their_source_goes_away(tmp_path, link):
    source = sealed(tmp_path, "source")
    files = [p.relative_to(source).as_posix() for p in (source / "evidence").rglob("*.json")]
    digests = verify(source).digests
    with PackBuilder(tmp_path / "target") as builder:
        builder.carry(source, files, digests, link=link)
        for rel in files:
            same = (builder.path / rel).stat().st_ino == (source / rel).stat().st_ino
            assert same is link, rel
        assert set(builder.evidence()) == set(files)
        assert {rel: f.sha256 for rel, f in builder.evidence().items()} == {rel: digests[rel] for rel in files}
        builder.abandon()
