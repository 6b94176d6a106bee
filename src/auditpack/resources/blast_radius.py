"""A leaked key's blast radius: the capability classes its principal holds, and the statements that give each.

Pure: it evaluates the documents collection already read (``iam.user_policies``: inline, attached and group
policies and the permissions boundary; ``organizations.service_control_policies`` when the management account
was read) with ``iam_policy``, the one policy-evaluation module. What could not be evaluated is said in
``notes``, because a missing document can only make the radius look smaller than it is (a boundary or an SCP
that was not read can only make it look larger).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from auditpack.leak import BlastRadius, CapabilityGrant
from auditpack.resources.iam import PolicyDocument, as_document
from auditpack.resources.iam_policy import Permissions, capabilities
from auditpack.resources.organizations import ServiceControlPolicies

NO_SCPS = ("service control policies were not evaluated: only the organization's management account can read "
           "them, and it was not read")


def radius(key: str, principal: str | None, policies: Iterable[PolicyDocument],
           boundary: PolicyDocument | None = None, *, boundary_arn: str | None = None,
           missing: Iterable[str] = (), scps: ServiceControlPolicies | None = None,
           scp_note: str | None = NO_SCPS) -> BlastRadius:
    """What the principal of ``key`` (masked) may do, from its documents, as ``iam_policy.capabilities`` decides.

    ``scps`` is its account's chain, when read; otherwise ``scp_note`` says why SCPs are not counted (None:
    nothing to say, e.g. an account outside any organization).
    """
    documents = list(policies)
    missing = list(missing)
    evaluated = [d.source for d in documents]
    notes: list[str] = []
    if boundary is not None:
        evaluated.append(boundary.source)
    elif boundary_arn:
        notes.append(f"the permissions boundary {boundary_arn} was not returned, so it is not applied: the key may "
                     "be able to do less than shown")
    if missing:
        notes.append(f"{len(missing)} attached polic{'y' if len(missing) == 1 else 'ies'} had no document in the "
                     f"response ({', '.join(missing)}): what {'it grants' if len(missing) == 1 else 'they grant'} "
                     "is not counted")
    levels: list[list[tuple[str, dict]]] = []
    if scps is not None and scps.applies:
        levels = [[(d.source, d.document) for d in level] for level in scps.levels]
        evaluated.extend(d.source for level in scps.levels for d in level)
    elif scps is not None:
        notes.append("service control policies do not apply here (" + (
            "the organization's management account" if scps.enabled else "SCPs are not enabled at the root") + ")")
    elif scp_note:
        notes.append(scp_note)
    permissions = Permissions.of([(d.source, d.document) for d in documents],
                                 boundary=(boundary.source, boundary.document) if boundary else None, scps=levels)
    held = [CapabilityGrant(name=c.name, actions=list(c.actions), granted_by=list(c.granted_by),
                            conditional=c.conditional) for c in capabilities(permissions)]
    return BlastRadius(key=key, principal=principal, capabilities=held, evaluated=evaluated, notes=notes)


@dataclass(frozen=True)
class RolePolicies:
    """A role's documents from GetAccountAuthorizationDetails (``iam.user_policies`` reads users only)."""

    arn: str
    policies: tuple[PolicyDocument, ...]
    boundary: PolicyDocument | None
    boundary_arn: str | None
    missing: tuple[str, ...]


def roles_of(pages: Iterable[dict[str, Any]]) -> dict[str, RolePolicies]:
    """Each role's inline and attached policies and boundary, by role name, from authorization detail pages."""
    pages = list(pages)
    managed: dict[str, dict[str, Any]] = {}
    for page in pages:
        for policy in page.get("Policies", []):
            for version in policy.get("PolicyVersionList", []):
                if version.get("IsDefaultVersion"):
                    managed[policy["Arn"]] = as_document(version.get("Document"))
    out = {}
    for page in pages:
        for role in page.get("RoleDetailList", []):
            docs = [PolicyDocument(source=f"role {role['RoleName']} inline policy {p['PolicyName']}",
                                   document=as_document(p.get("PolicyDocument")))
                    for p in role.get("RolePolicyList", [])]
            attached = [a["PolicyArn"] for a in role.get("AttachedManagedPolicies", [])]
            docs += [PolicyDocument(source=f"role {role['RoleName']} managed policy {arn}", document=managed[arn])
                     for arn in attached if arn in managed]
            boundary_arn = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
            boundary = (PolicyDocument(source=f"permissions boundary {boundary_arn}", document=managed[boundary_arn])
                        if boundary_arn in managed else None)
            out[role["RoleName"]] = RolePolicies(role["Arn"], tuple(docs), boundary, boundary_arn,
                                                 tuple(a for a in attached if a not in managed))
    return out
