"""The check registry: one decorator that turns a pure function into a declared, validated check.

Everything about a check that other parts need (its inputs, parameter schema, IAM permissions, severity,
remediation) is declared as data here, so controls can be validated and the least-privilege policy derived
before any AWS call.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from auditpack.models import ResourceRef, Severity, Status
from auditpack.resources.inventory import InventoryView


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
    title: str
    func: CheckFunc
    resources: tuple[str, ...]
    permissions: tuple[str, ...]
    severity: Severity
    remediation: str
    params: dict[str, Any]
    scope: Literal["account", "region"]

    @property
    def description(self) -> str:
        """First paragraph of the function's docstring: how the check works, in one sentence or two."""
        doc = (self.func.__doc__ or "").strip()
        return " ".join(doc.split("\n\n", 1)[0].split())

    def defaults(self) -> dict[str, Any]:
        return {name: rule["default"] for name, rule in self.params.items() if "default" in rule}

    def run(self, view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
        yield from self.func(view, params)


CHECKS: dict[str, CheckSpec] = {}


def check(
    *,
    id: str,
    title: str,
    resources: list[str],
    permissions: list[str],
    severity: Severity | str,
    remediation: str,
    params: dict[str, Any] | None = None,
    scope: Literal["account", "region"] = "account",
) -> Callable[[CheckFunc], CheckFunc]:
    """Register a check.

    ``scope="region"`` evaluates the check once per scanned region of each account (a failed call in one
    region then only affects that region); ``"account"`` once per account with every region's resources.
    ``params`` is a cerberus schema whose rules carry a ``default``.
    """

    def register(func: CheckFunc) -> CheckFunc:
        if id in CHECKS and CHECKS[id].func is not func:
            raise ValueError(f"check {id} registered twice")
        CHECKS[id] = CheckSpec(
            id=id,
            title=title,
            func=func,
            resources=tuple(resources),
            permissions=tuple(permissions),
            severity=Severity(severity),
            remediation=remediation.strip(),
            params=dict(params or {}),
            scope=scope,
        )
        return func

    return register


def load_checks() -> dict[str, CheckSpec]:
    """Import every module of the ``auditpack.checks`` package so that its checks register."""
    import auditpack.checks as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"auditpack.checks.{module.name}")
    # The order of registration is the order modules happened to be imported in; this one is the same in every
    # process (it is the order assessment.json lists checks in).
    ordered = sorted(CHECKS.values(), key=lambda s: (s.func.__module__, s.func.__code__.co_firstlineno))
    return {spec.id: spec for spec in ordered}
