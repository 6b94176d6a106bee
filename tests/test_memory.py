"""How a scan manages its memory: what the stage boundaries freeze, and what the PDF stage gets back."""

from __future__ import annotations

import gc
import weakref

import boto3

from auditpack.collect.session import AccountSession
from auditpack.memory import long_lived_objects, settled


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


def test_downloads_share_one_opener():
    """A TLS context loads the whole CA store: one per download was half a MB each, kept until a full
    collection."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name="us-east-1")
    account = AccountSession(session, "123456789012", "arn:aws:iam::123456789012:user/auditor")
    assert account._downloader() is account._downloader()
