"""Meta-tests over the registries: every check is mapped, documented, permitted, read-only and tested."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditpack.library.checks import check_problems, load_checks
from auditpack.library.controls import load_controls
from auditpack.resources.base import (
    COLLECTORS,
    READ_ONLY,
    collector_problems,
    required_collectors,
    secret_source_types,
)

TESTS = Path(__file__).parent
CHECKS = load_checks()
COLLECTORS.load()


def test_checks_exist():
    assert len(CHECKS) >= 6


def cited_checks() -> set[str]:
    problems: list = []
    controls = load_controls(None, CHECKS.as_dict(), problems)
    assert not problems
    return {c for control in controls.values() for c in control.checks}


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_check_is_cited_by_a_control(check_id):
    assert check_id in cited_checks(), f"{check_id} is cited by no control file"


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_check_declares_what_it_needs(check_id):
    """The rules every check is held to, built-in or a plugin's, before any AWS call (``check_problems``)."""
    assert check_problems(CHECKS[check_id]) == []


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_a_checks_permissions_are_its_collectors(check_id):
    spec = CHECKS[check_id]
    needed = {p for c in required_collectors(spec.resources) for p in c.permissions}
    assert set(spec.permissions) == needed


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_check_has_tests(check_id):
    mentioned = any(check_id in p.read_text() for p in TESTS.rglob("test_*.py") if p.name != Path(__file__).name)
    assert mentioned, f"no test mentions {check_id}"


def test_every_collector_permission_is_a_read():
    for spec in COLLECTORS.values():
        for perm in spec.permissions:
            assert READ_ONLY.match(perm.split(":", 1)[1]), perm


@pytest.mark.parametrize("rtype", sorted(COLLECTORS))
def test_every_collector_declares_what_it_makes_and_what_is_secret(rtype):
    """A resource class that offers values to the detector needs its collector to name the fields holding
    them (or evidence would hold them in clear), and every collector names the class it makes."""
    assert collector_problems(COLLECTORS[rtype]) == []


@pytest.mark.parametrize("source", sorted(secret_source_types()))
def test_every_secret_source_is_judged_by_a_check_and_has_its_owner_lookup(source):
    assert any(source in spec.resources for spec in CHECKS.values()), f"no check reads {source}"
    assert f"{source}.key_owners" in COLLECTORS
