"""The account's own SSM documents, as their default version reads: commands, scripts and parameter defaults.

A Run Command or Automation document is run by whoever may start it, on every instance it targets, and read by
anyone with ssm:GetDocument (or with whom it is shared): a password in its commands or a parameter's default
reaches all of them.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.documents import leaf_candidates, parse_document
from auditpack.resources.secret_source import Candidate


class SsmDocument(AwsResource):
    cfn_type: ClassVar[str] = "AWS::SSM::Document"

    version: str = ""
    content: str = Field(default="", repr=False)  # memory only

    def secret_candidates(self) -> list[Candidate]:
        where = f"version {self.version}" if self.version else ""
        tree = parse_document(self.content)
        if tree is None or isinstance(tree, str):
            return [Candidate(field="content", value=self.content, location=where, script=True)] if self.content else []
        return leaf_candidates(tree, "content", location=where)


@collector("ssm.documents", service="ssm", permissions=["ssm:ListDocuments", "ssm:GetDocument"], secrets=("Content",))
def documents(ctx: Reader) -> list[SsmDocument]:
    """Documents the account owns (AWS's and others' shared ones are not its configuration), default version."""
    listed = [(raw, page.evidence) for page in ctx.paginate("ssm", "list_documents",
                                                            Filters=[{"Key": "Owner", "Values": ["Self"]}])
              for raw in page.data.get("DocumentIdentifiers", [])]

    def read(item: tuple[dict, str]) -> SsmDocument:
        raw, listing = item
        name = raw["Name"]
        got = ctx.call("ssm", "get_document", Name=name)
        return SsmDocument(arn=ctx.arn("ssm", f"document/{name}"), name=name, account=ctx.account, region=ctx.region,
                           evidence=(listing, got.evidence), version=str(got.data.get("DocumentVersion", "")),
                           content=str(got.data.get("Content", "")))

    return ctx.each(read, listed)
