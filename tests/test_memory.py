"""How a scan manages its memory: what the stage boundaries freeze, and what the PDF stage gets back."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import boto3
from pypdf import PdfReader

from auditpack.collect.session import AccountSession, ServiceModels, open_session
from auditpack.emulator.synthetic import synthetic_assessment
from auditpack.evaluate.outcome import WORST_KEPT, outcome_of
from auditpack.library.config import Config
from auditpack.memory import long_lived_objects, settled
from auditpack.models import Finding
from auditpack.pack.lifecycle import PackBuilder
from auditpack.pack.verify import verify


class Node:
    """A cycle: freed only by the cyclic collector, never by reference counting."""

    def __init__(self) -> None:
        self.me = self


def test_cyclic_garbage_frozen_at_a_stage_boundary_is_out_of_the_collectors_sight_until_the_scan_ends():
    """Why the boundary after collection collects cycles first: what a boundary freezes, garbage included,
    no later collection frees."""
    with long_lived_objects():
        doomed, kept = Node(), Node()
        gone = weakref.ref(doomed)
        settled()
        del doomed
        gc.collect()
        assert gone() is not None, "a frozen cycle is out of the collector's sight"
        assert kept.me is kept
    gc.collect()
    assert gone() is None, "leaving the scan hands everything back to the collector"
    assert gc.get_freeze_count() == 0


def test_a_boundary_asked_to_collects_the_cycles_made_since_before_freezing_what_lives():
    """The clients released at the end of collection are cyclic garbage: a boundary that froze them would keep
    them, and the service models they parsed, to the end of the scan."""
    with long_lived_objects():
        doomed, kept = Node(), Node()
        gone = weakref.ref(doomed)
        del doomed
        settled(cycles=True)
        assert gone() is None
        assert gc.get_freeze_count() > 0 and kept.me is kept


def test_an_account_session_dropped_before_a_boundary_takes_its_clients_with_it():
    """The scan drops its AWS sessions when collection returns (``scan.plan_and_collect``): the clients, their
    service models and the session are cycles, freed by the boundary that follows."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name="us-east-1")
    with long_lived_objects():
        account = AccountSession(session, "123456789012", "arn:aws:iam::123456789012:user/auditor")
        client = account.client("sts", "us-east-1")
        assert account.client("sts", "us-east-1") is client, "clients are cached during collection"
        gone = weakref.ref(client)
        del account, client, session
        settled(cycles=True)
        assert gone() is None


def test_a_released_service_leaves_nothing_of_its_models_in_the_loader():
    """``ServiceModels.forget`` relies on the cache botocore's ``instance_cache`` documents: if botocore changes
    it, this fails rather than the scan silently keeping every model."""
    session = open_session(region="us-east-1")
    models = session._session.get_component("data_loader")
    assert isinstance(models, ServiceModels)
    account = AccountSession(session, "123456789012", "arn:aws:iam::123456789012:user/auditor")
    ec2, _iam = account.client("ec2", "us-east-1"), account.client("iam", "us-east-1")
    parsed = models.load_service_model("ec2", "service-2")
    assert any("ec2" in map(str, key) for key in models._cache)
    account.release("ec2")
    assert not [key for key in models._cache if any(str(part).split("/")[0] == "ec2" for part in key[1:])]
    assert any("iam" in map(str, key) for key in models._cache), "other services keep theirs"
    assert account.client("ec2", "us-east-1") is not ec2, "a client asked for again is made again"
    assert models.load_service_model("ec2", "service-2") is not parsed


def test_a_scan_never_makes_a_client_again_after_letting_its_service_go(aws, out_dir, caplog):
    """Letting a service go while a later collector still calls it would be correct but slow (its model is
    parsed again): the scheduler's count of unfinished jobs per service must match the calls collectors make."""
    import logging

    from auditpack.scan import ScanOptions, run_scan

    caplog.set_level(logging.DEBUG, logger="auditpack.collect.session")
    run_scan(ScanOptions(out=out_dir, regions=["us-east-1", "us-west-2"], formats=["json"]))
    said = [r.getMessage() for r in caplog.records]
    assert {"ec2", "iam", "lambda", "s3"} <= {m.split()[5] for m in said if m.startswith("the scan lets go of")}
    assert not [m for m in said if "made again" in m]


def test_downloads_share_one_opener():
    """A TLS context loads the whole CA store: one per download was half a MB each, kept until a full
    collection."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name="us-east-1")
    account = AccountSession(session, "123456789012", "arn:aws:iam::123456789012:user/auditor")
    assert account._downloader() is account._downloader()


class Phases:
    """A progress display that notes, as each phase begins, whether any finding is still alive."""

    def __init__(self, pdf: Path) -> None:
        self.pdf = pdf
        self.seen: dict[str, tuple[int, bool]] = {}

    def phase(self, name: str) -> None:
        gc.collect()
        alive = sum(1 for o in gc.get_objects() if type(o) is Finding)
        self.seen[name] = (alive, self.pdf.exists())

    def advance(self, done: int, total: int, what: str) -> None:
        pass

    def notice(self, text: str) -> None:
        pass


def test_the_pdf_is_laid_out_once_the_findings_have_left_memory(tmp_path):
    """A large account's findings and the PDF's layout are the two largest things a scan holds: the PDF writer
    leaves its layout for last, and by then only the findings the summary names are alive."""
    out = tmp_path / "pack"
    with PackBuilder(out) as pack:
        assessment = synthetic_assessment(findings=600, controls=6, checks=6, accounts=1, pack=pack.path)
        phases = Phases(pack.path / "report.pdf")
        written = pack.write(assessment, Config(), ["pdf"], progress=phases)
        outcome = outcome_of(assessment)
        held = weakref.ref(assessment)
        del assessment
        assert held() is None
        pack.seal(outcome, sealed_by="test")
        pack.publish()
    assert phases.seen["Writing report.pdf"][0] >= 600
    alive, written_yet = phases.seen["Laying out report.pdf"]
    assert alive <= WORST_KEPT == len(outcome.worst_failures) and not written_yet
    assert phases.seen["Sealing"][1]
    assert [p.name for p in written["pdf"]] == ["report.pdf"]
    assert PdfReader(out / "report.pdf").pages and verify(out).intact
