"""What collection produced: resources by type, account and region, the calls that failed, and the
secret detector's verdict on each secret source.

Checks see an ``InventoryView`` of one partition (an account, or an account and region) so that a failed
call in one region only makes that region's results errors. Verdicts are a table beside the resources
(keyed by resource type and ARN), not copies of them: the resources stay as collected.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from auditpack.models import CollectionError
from auditpack.resources.base import GLOBAL_REGION, AwsResource, secret_source_types
from auditpack.resources.secret_source import SecretScan

Key = tuple[str, str]  # (account, region)


@dataclass
class Inventory:
    accounts: list[str]
    regions: list[str]
    partitions: dict[str, str] = field(default_factory=dict)  # account -> aws partition
    items: dict[str, dict[Key, list[AwsResource]]] = field(default_factory=lambda: defaultdict(dict))
    errors: dict[str, dict[Key, CollectionError]] = field(default_factory=lambda: defaultdict(dict))
    calls: list[str] = field(default_factory=list)
    collected_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    verdicts: dict[tuple[str, str], SecretScan] = field(default_factory=dict)  # (resource type, ARN) -> verdict

    def add(self, resource_type: str, account: str, region: str, resources: list[AwsResource]) -> None:
        self.items[resource_type][(account, region)] = resources

    def fail(self, resource_type: str, error: CollectionError) -> None:
        self.errors[resource_type][(error.account, error.region)] = error

    def release(self, resource_types: list[str]) -> None:
        """Drop these types' resources and verdicts (their failed calls stay: they are the assessment's errors)."""
        gone = set(resource_types)
        for rtype in gone:
            self.items.pop(rtype, None)
        if gone & secret_source_types() and self.verdicts:  # only sources have verdicts: one pass each, not per check
            self.verdicts = {key: scan for key, scan in self.verdicts.items() if key[0] not in gone}

    def view(self, account: str, region: str | None) -> InventoryView:
        return InventoryView(self, account, region)

    def all(self, resource_type: str, account: str | None = None) -> list[AwsResource]:
        out: list[AwsResource] = []
        for (acct, _region), resources in self.items.get(resource_type, {}).items():
            if account is None or acct == account:
                out.extend(resources)
        return out

    def errors_for(self, resource_types: tuple[str, ...], account: str, region: str | None) -> list[CollectionError]:
        """Errors that make a partition's results unknown: same account and, if regional, same region."""
        found = []
        for rtype in resource_types:
            for (acct, reg), err in self.errors.get(rtype, {}).items():
                if acct == account and (region is None or reg in (region, GLOBAL_REGION)):
                    found.append(err)
        return found


@dataclass
class InventoryView:
    """One partition of the inventory, as a check sees it."""

    inventory: Inventory
    account: str
    region: str | None  # None: the whole account, every scanned region

    @property
    def regions(self) -> list[str]:
        return [self.region] if self.region else list(self.inventory.regions)

    @property
    def reports_global(self) -> bool:
        """Whether account-wide resources (IAM) are reported here: in an account's view, or its first region's, so
        that a check judging them with regional ones reports each once."""
        return self.region is None or self.region == self.inventory.regions[0]

    @property
    def now(self) -> datetime:
        """The scan's reference time: ages are measured from collection, so re-evaluation is repeatable."""
        return self.inventory.collected_at

    @property
    def partition(self) -> str:
        return self.inventory.partitions.get(self.account, "aws")

    @property
    def account_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:root"

    def get(self, resource_type: str) -> list[Any]:
        """Resources of a type in this partition, global ones included."""
        out: list[Any] = []
        for (acct, reg), resources in self.inventory.items.get(resource_type, {}).items():
            if acct != self.account:
                continue
            if self.region is None or reg in (self.region, GLOBAL_REGION):
                out.extend(resources)
        return out

    def anywhere(self, resource_type: str) -> list[Any]:
        """Resources of a type from every account of the scan: for facts one account reads for all (the
        service control policies, which only the organization's management account can read)."""
        return self.inventory.all(resource_type)

    def errors(self, resource_type: str) -> list[CollectionError]:
        """Why a type could not be collected in this partition (empty when it was): a check enriched by it
        says so instead of erring."""
        return self.inventory.errors_for((resource_type,), self.account, self.region)

    def judged_types(self) -> list[str]:
        """Every secret source type the detector gave verdicts on in this scan, whichever check asked for it."""
        return sorted({rtype for rtype, _arn in self.inventory.verdicts})

    def judged(self, resource_type: str) -> list[tuple[Any, SecretScan | None]]:
        """Each secret source of a type in this partition with the detector's verdict (None: not judged)."""
        verdicts = self.inventory.verdicts
        return [(r, verdicts.get((resource_type, r.arn))) for r in self.get(resource_type)]
