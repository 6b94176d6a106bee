"""How a scan manages its memory: what the stage boundaries freeze, and what the PDF stage gets back."""

from __future__ import annotations

import gc
import weakref

import boto3

from auditpack.collect.session import AccountSession
from auditpack.memory import long_lived_objects, reclaim_cycles, settled


class Node:
    """A cycle: freed only by the cyclic collector, never by reference counting."""

    def __init__(self) -> None:
        self.me = self


def test_cyclic_garbage_frozen_at_a_stage_boundary_is_reclaimed_and_the_living_stay_frozen():
    with long_lived_objects():
        doomed, kept = Node(), Node()
        gone = weakref.ref(doomed)
        settled()  # both are frozen here, as the AWS clients are at the end of collection
        del doomed
        gc.collect()
        assert gone() is not None, "a frozen cycle is out of the collector's sight"
        reclaim_cycles()
        assert gone() is None
        assert gc.get_freeze_count() > 0, "what still lives is frozen again"
        assert kept.me is kept
    assert gc.get_freeze_count() == 0


def test_outside_a_scan_nothing_is_left_frozen():
    assert gc.get_freeze_count() == 0
    reclaim_cycles()  # ``auditpack report`` renders a PDF outside any scan
    assert gc.get_freeze_count() == 0


def test_released_clients_are_garbage_and_a_later_call_makes_a_new_one():
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name="us-east-1")
    account = AccountSession(session, "123456789012", "arn:aws:iam::123456789012:user/auditor")
    first = account.client("sts", "us-east-1")
    assert account.client("sts", "us-east-1") is first, "clients are cached during collection"
    gone = weakref.ref(first)
    account.release_clients()
    del first
    gc.collect()
    assert gone() is None
    assert account.client("sts", "us-east-1") is not None
