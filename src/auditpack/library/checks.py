"""The check registry: one decorator that turns a pure function into a declared, validated check.

A check declares what it reads (resource types), its parameters (a cerberus schema with defaults), its
severity and remediation; everything else is derived. Its IAM permissions are those of the collectors of
the resource types it reads, so the least-privilege policy cannot drift from the code. Built-in checks live
in ``auditpack.checks``; an organization's own arrive through the ``auditpack.checks`` entry-point group and
are validated by the same rules (``check_problems``) before any AWS call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from cerberus import SchemaError, Validator

from auditpack.library.yamlfile import Problem
from auditpack.models import ResourceRef, Severity, Status
from auditpack.registry import Registry
from auditpack.resources.base import COLLECTORS, permissions_for
from auditpack.resources.inventory import InventoryView

CHECK_ID = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")


@dataclass
class Result:
    """What a check says about one resource; the engine stamps id, controls, severity and remediation."""

    status: Status
    resource: ResourceRef
    message: str
    region: str
    evidence: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    account: str = ""  # stamped by the engine with the partition's account; checks leave it empty
    # A finding more severe than the check's own severity, when the resource's context makes it worse (a public
    # function URL on a function that holds a secret); None keeps the check's severity.
    severity: Severity | None = None

    @classmethod
    def of(cls, status: Status, resource: Any, message: str, **kw: Any) -> Result:
        """Build from a collected resource (anything with ``ref()``, ``region`` and ``evidence``)."""
        kw.setdefault("region", resource.region)
        kw.setdefault("evidence", list(resource.evidence))
        return cls(status, resource.ref(), message, **kw)


CheckFunc = Callable[[InventoryView, dict[str, Any]], Iterable[Result]]


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str  # the passing condition: what the control expects ("The root user has MFA")
    problem: str  # the failing condition, as a report titles what to fix ("The root user has no MFA")
    func: CheckFunc
    resources: tuple[str, ...]
    severity: Severity
    remediation: str
    params: dict[str, Any]
    scope: Literal["account", "region"]
    enriched_by: tuple[str, ...] = ()  # read when collected; a failure leaves them empty, not the check in error

    @property
    def reads(self) -> tuple[str, ...]:
        """Every resource type the check reads: what it judges, then what enriches it."""
        return tuple(dict.fromkeys((*self.resources, *self.enriched_by)))
    # Resource types (also in ``resources``) read only to qualify the results on others: a function's execution
    # role, read to say whether its public URL is worse. Collected like the rest; not services it judges.
    context: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        """First paragraph of the function's docstring: how the check works, in one sentence or two."""
        doc = (self.func.__doc__ or "").strip()
        return " ".join(doc.split("\n\n", 1)[0].split())

    @property
    def permissions(self) -> tuple[str, ...]:
        """The IAM actions its collectors call, dependencies first: what ``auditpack permissions`` grants."""
        return permissions_for(self.reads)

    @property
    def services(self) -> tuple[str, ...]:
        """The AWS services whose resources it judges (``lambda``): what ``--service`` selects on. A lookup
        that enriches another resource it reads (who owns a key found in a function) is not one of them."""
        specs = [COLLECTORS[r] for r in self.resources if r in COLLECTORS and r not in self.context]
        judged = [s for s in specs if not set(s.needs) & set(self.resources)]
        return tuple(dict.fromkeys(s.service for s in judged))

    @property
    def module(self) -> str:
        return self.func.__module__

    def defaults(self) -> dict[str, Any]:
        return {name: rule["default"] for name, rule in self.params.items() if "default" in rule}

    def run(self, view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
        yield from self.func(view, params)


def _listing_order(spec: CheckSpec) -> tuple[str, int]:
    """Module, then position in it: the order a module's author wrote its checks in."""
    return spec.module, spec.func.__code__.co_firstlineno


CHECKS: Registry[CheckSpec] = Registry("check", packages=("auditpack.checks",),
                                       entry_point_group="auditpack.checks", order=_listing_order)


def check(
    *,
    id: str,
    title: str,
    problem: str,
    resources: list[str],
    severity: Severity | str,
    remediation: str,
    params: dict[str, Any] | None = None,
    scope: Literal["account", "region"] = "account",
    enriched_by: list[str] | None = None,
    context: list[str] | None = None,
) -> Callable[[CheckFunc], CheckFunc]:
    """Register a check.

    ``scope="region"`` evaluates the check once per scanned region of each account (a failed call in one
    region then only affects that region); ``"account"`` once per account with every region's resources.
    ``params`` is a cerberus schema whose rules carry a ``default``. ``title`` states what passes and
    ``problem`` what fails: a list of things to fix reads wrong when titled by the condition already met.
    ``enriched_by`` names resource types that add detail to the results without deciding them (a leaked
    key's blast radius and activity): they are collected and permitted like ``resources``, but when their
    collection fails the check still runs, and says what it could not add (``InventoryView.errors``).
    Enrichment degrades; it never hides a finding.
    ``context`` names resource types read only to qualify the results on the others (collected, and their
    permissions granted, like ``resources``), so that ``--service`` selects a check by what it judges, not by
    what it looks up.
    """

    def register(func: CheckFunc) -> CheckFunc:
        CHECKS.register(id, CheckSpec(
            id=id,
            title=title.strip(),
            problem=problem.strip(),
            func=func,
            resources=tuple(dict.fromkeys([*resources, *(context or ())])),
            severity=Severity(severity),
            remediation=remediation.strip(),
            params=dict(params or {}),
            scope=scope,
            enriched_by=tuple(enriched_by or ()),
            context=tuple(context or ()),
        ))
        return func

    return register


def load_checks() -> Registry[CheckSpec]:
    """Every check: the built-in ones and those of installed ``auditpack.checks`` plugins."""
    return CHECKS.load()


def check_problems(spec: CheckSpec) -> list[str]:
    """What is wrong with a check's declaration, each as a sentence naming the check and where it lives.

    The same rules hold for built-in checks and for an organization's plugins: a check with a malformed id,
    no docstring, an unknown resource type or a parameter without a type and default could not be mapped,
    explained, collected for or configured.
    """
    where = f"check {spec.id} ({spec.module})"
    problems = []
    if not CHECK_ID.match(spec.id):
        problems.append(f"{where}: id must be lower-case words joined by underscores")
    for name, value in (("title", spec.title), ("problem", spec.problem), ("remediation", spec.remediation),
                        ("docstring", spec.description)):
        if not value:
            problems.append(f"{where}: has no {name}")
    if spec.problem and spec.problem == spec.title:
        problems.append(f"{where}: its problem repeats its title; say what fails (\"The root user has no MFA\")")
    if not spec.resources:
        problems.append(f"{where}: names no resource type to read")
    unknown = [r for r in spec.reads if r not in COLLECTORS]
    if unknown:
        problems.append(f"{where}: no collector makes {', '.join(unknown)} (known: {', '.join(COLLECTORS.names())})")
    for name, rule in spec.params.items():
        if not isinstance(rule, dict) or "type" not in rule or "default" not in rule:
            problems.append(f"{where}: parameter {name} needs a type and a default")
            continue
        try:
            valid = Validator({name: rule}).validate({name: rule["default"]})
        except SchemaError as exc:
            problems.append(f"{where}: parameter {name} has an invalid schema: {exc}")
            continue
        if not valid:
            problems.append(f"{where}: the default of parameter {name} does not meet its own schema")
    return problems


def parameter_schemas(specs: Iterable[CheckSpec], problems: list[Problem]) -> dict[str, dict[str, Any]]:
    """Each parameter's schema by name. Checks may share a parameter (one inactivity period for keys and
    secrets), and then it is one fact: two checks declaring it differently is a problem."""
    schemas: dict[str, dict[str, Any]] = {}
    owner: dict[str, str] = {}
    for spec in specs:
        for name, rule in spec.params.items():
            if name in schemas and schemas[name] != rule:
                problems.append(Problem(f"check {spec.id} ({spec.module}): parameter {name} is declared "
                                        f"differently by check {owner[name]}"))
                continue
            schemas.setdefault(name, rule)
            owner.setdefault(name, spec.id)
    return schemas
