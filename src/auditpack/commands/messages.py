"""The one place an engine error becomes a sentence that names command-line flags.

The engine's errors say what went wrong; here each says what to type instead. An error without a flag to
name keeps its own text.
"""

from __future__ import annotations

from auditpack.errors import (
    AccountsOutsideOrganization,
    KeyFilesExist,
    KeyTooOpen,
    KeyUnusable,
    NoAccountInScope,
    NoCredentials,
    OrganizationUnavailable,
    OutputIsInput,
    OutputNotAPack,
    OutputUnusable,
    OverlappingPacks,
    PackExists,
    PreviousPackAltered,
    RegionsUnavailable,
    UserError,
)

ORG_HINT = "run from the management account or a delegated administrator"


def describe(error: UserError) -> str:
    """The line the user reads for ``error``."""
    match error:
        case NoCredentials():
            return "no AWS credentials found: set a profile (--profile), SSO login, or AWS_ACCESS_KEY_ID"
        case RegionsUnavailable():
            return f"{error}; name them with --region"
        case OrganizationUnavailable(reachable=True):
            return f"--org: {error}; {ORG_HINT}"
        case OrganizationUnavailable():
            return f"--org: {error}"
        case AccountsOutsideOrganization():
            return f"--accounts: {error}"
        case NoAccountInScope():
            return "no account left to scan: --accounts selects none of the accounts in scope"
        case OutputNotAPack() | OutputUnusable():
            return f"{error}; choose another --out"
        case PackExists():
            return f"{error}; pass --overwrite to replace it, or choose another --out"
        case OverlappingPacks():
            return f"{error}; give each machine a disjoint --accounts subset"
        case OutputIsInput():
            return f"{error.path}: --out must not be one of the packs being merged"
        case KeyTooOpen():
            return f"--sign-key: {error}; chmod 600 {error.path}"
        case KeyUnusable(role="private"):
            return f"--sign-key: {error}"
        case KeyUnusable():
            return f"--key: {error}"
        case KeyFilesExist():
            return f"{error}; choose another DIR"
        case PreviousPackAltered():
            return f"--previous: {error}"
        case _:
            return str(error)
