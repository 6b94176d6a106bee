"""Tags: keys and values of every taggable resource (one paginated Resource Groups Tagging API enumeration per
region), and of IAM users and roles, which that API does not cover.

Tags are metadata, readable by anyone allowed tag:GetResources or the service's own read calls, copied into
billing reports and into every tool that inventories an account: a password written into a tag (``db_password``)
is exposed as widely as configuration gets.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from auditpack.models import ResourceRef
from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.iam import AuthorizationDetails
from auditpack.resources.secret_source import Candidate

PAGE = 100  # GetResources returns at most a hundred resources a page


class TaggedResource(AwsResource):
    cfn_type: ClassVar[str] = "AWS::ResourceGroupsTaggingAPI::TaggedResource"

    kind: str = ""  # "ec2 instance", "IAM user": what the ARN says the resource is
    tags: dict[str, str] = Field(default_factory=dict, repr=False)  # memory only

    def secret_candidates(self) -> list[Candidate]:
        return [c for key, value in self.tags.items()
                for c in (Candidate(field=f"tag {key}", value=value, name=key),
                          Candidate(field="a tag key", value=key))]

    def ref(self) -> ResourceRef:
        return ResourceRef(arn=self.arn, type=self.cfn_type, name=f"{self.kind} {self.name}".strip())


def kind_of(arn: str) -> str:
    """``arn:aws:ec2:...:instance/i-1`` -> ``ec2 instance``; ``arn:aws:sns:...:topic`` -> ``sns``."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return ""
    resource = parts[5]
    kind = resource.split("/", 1)[0] if "/" in resource else (resource.split(":", 1)[0] if ":" in resource else "")
    return f"{parts[2]} {kind}".strip()


def name_of(arn: str) -> str:
    resource = arn.split(":", 5)[-1]
    return resource.rsplit("/", 1)[-1] if "/" in resource else resource.rsplit(":", 1)[-1]


def _tags(raw: list[dict[str, Any]] | None) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value", "")) for t in raw or [] if "Key" in t}


@collector("tagging.resources", service="resourcegroupstaggingapi", permissions=["tag:GetResources"],
           secrets=("Value",))
def tagged_resources(ctx: Reader) -> list[TaggedResource]:
    """Every tagged resource of the region in one enumeration; resources without tags hold nothing to judge."""
    out = []
    for page in ctx.paginate("resourcegroupstaggingapi", "get_resources", ResourcesPerPage=PAGE):
        for raw in page.data.get("ResourceTagMappingList", []):
            tags = _tags(raw.get("Tags"))
            if tags:
                arn = raw["ResourceARN"]
                out.append(TaggedResource(arn=arn, name=tags.get("Name") or name_of(arn), account=ctx.account,
                                          region=ctx.region,
                                          evidence=(page.evidence,), kind=kind_of(arn), tags=tags))
    return out


@collector("iam.principal_tags", service="iam", permissions=[], regional=False,
           needs=["iam.authorization_details"], secrets=("Value",))
def principal_tags(ctx: Reader) -> list[TaggedResource]:
    """Users' and roles' tags, from the authorization details every IAM resource type is derived from: no call
    of its own, so no page is read twice."""
    out = []
    details = [d for d in ctx.need("iam.authorization_details") if isinstance(d, AuthorizationDetails)]
    for page, evidence in ((p, e) for d in details for p, e in zip(d.pages, d.evidence, strict=True)):
        for kind, details, name_key in (("IAM user", "UserDetailList", "UserName"),
                                        ("IAM role", "RoleDetailList", "RoleName")):
            for raw in page.get(details, []):
                tags = _tags(raw.get("Tags"))
                if tags:
                    out.append(TaggedResource(arn=raw["Arn"], name=raw[name_key], account=ctx.account,
                                              region=ctx.region, evidence=(evidence,), kind=kind, tags=tags))
    return out
