"""CloudFormation stacks: outputs and parameter values (NoEcho parameters come back as ``****``), and the template
each stack was created from, where a credential written as text (a ``MasterUserPassword``, a ``SecretString``)
stays readable by cloudformation:GetTemplate for the stack's life. A ``Ref`` to a NoEcho parameter and a dynamic
reference (``{{resolve:secretsmanager:...}}``) are how a template should name one."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.documents import leaf_candidates, parse_document
from auditpack.resources.secret_source import Candidate

# Template sections that hold values (Metadata carries cfn-init commands and files); the rest name things.
VALUE_SECTIONS = ("Parameters", "Mappings", "Resources", "Metadata")
# Keys whose strings are names, types and conditions, never a value a secret could be.
STRUCTURE_KEYS = frozenset({"Type", "Description", "Condition", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy",
                            "AllowedPattern", "AllowedValues", "ConstraintDescription", "AWSTemplateFormatVersion",
                            "Transform"})


class Stack(AwsResource):
    cfn_type: ClassVar[str] = "AWS::CloudFormation::Stack"

    outputs: dict[str, str] = Field(default_factory=dict, repr=False)  # memory only
    parameters: dict[str, str] = Field(default_factory=dict, repr=False)

    def secret_candidates(self) -> list[Candidate]:
        return [
            *(Candidate(field=f"output {k}", value=v, name=k) for k, v in self.outputs.items()),
            *(Candidate(field=f"parameter {k}", value=v, name=k) for k, v in self.parameters.items()),
        ]


@collector("cloudformation.stacks", service="cloudformation", permissions=["cloudformation:DescribeStacks"],
           secrets=("OutputValue", "ParameterValue", "ResolvedValue"))
def stacks(ctx: Reader) -> list[Stack]:
    out = []
    for page in ctx.paginate("cloudformation", "describe_stacks"):
        for raw in page.data.get("Stacks", []):
            if raw.get("StackStatus") == "DELETE_COMPLETE":
                continue
            out.append(Stack(
                arn=raw["StackId"], name=raw["StackName"], account=ctx.account, region=ctx.region,
                evidence=(page.evidence,),
                outputs={o["OutputKey"]: str(o.get("OutputValue", "")) for o in raw.get("Outputs", [])},
                parameters={p["ParameterKey"]: str(p.get("ParameterValue", "")) for p in raw.get("Parameters", [])},
            ))
    return out


class StackTemplate(AwsResource):
    cfn_type: ClassVar[str] = "AWS::CloudFormation::Stack"

    template: Any = Field(default=None, repr=False)  # the parsed template; memory only

    def secret_candidates(self) -> list[Candidate]:
        tree = parse_document(self.template)
        if not isinstance(tree, dict):
            return []
        return [c for section in VALUE_SECTIONS if isinstance(tree.get(section), dict)
                for c in leaf_candidates(tree[section], section.lower()[:-1] if section != "Metadata" else "metadata",
                                         skip=lambda path: any(p in STRUCTURE_KEYS for p in path))]


@collector("cloudformation.templates", service="cloudformation", permissions=["cloudformation:GetTemplate"],
           needs=["cloudformation.stacks"], secrets=("TemplateBody",))
def templates(ctx: Reader) -> list[StackTemplate]:
    """The template of each stack as it was submitted (a YAML template stays text, JSON comes parsed)."""

    def read(stack: Any) -> StackTemplate:
        got = ctx.call("cloudformation", "get_template", StackName=stack.arn)
        return StackTemplate(arn=stack.arn, name=stack.name, account=ctx.account, region=ctx.region,
                             evidence=(got.evidence,), template=got.data.get("TemplateBody"))

    return ctx.each(read, ctx.need("cloudformation.stacks"))
