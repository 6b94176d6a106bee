"""Glue jobs' arguments and Glue connections' properties.

A job's default and non-overridable arguments are shown to anyone with glue:GetJobs and passed to every run; a
connection can hold its database password itself (``PASSWORD``) or reference a Secrets Manager secret
(``SECRET_ID``, or an ``AuthenticationConfiguration`` with a ``SecretArn``). Connections are read with
``HidePassword``: whether a connection stores a password is a fact of its properties, and the password itself is
never needed, so it is never read.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.secret_source import Candidate

STORED_PASSWORD = ("PASSWORD", "ENCRYPTED_PASSWORD")  # present when the connection holds the password itself
NOT_SECRET = frozenset({"USERNAME", "JDBC_ENFORCE_SSL", "CONNECTION_TYPE", "KAFKA_SSL_ENABLED", "SECRET_ID"})


class GlueJob(AwsResource):
    cfn_type: ClassVar[str] = "AWS::Glue::Job"

    # which arguments -> name -> value; memory only
    arguments: dict[str, dict[str, str]] = Field(default_factory=dict, repr=False)

    def secret_candidates(self) -> list[Candidate]:
        return [Candidate(field=f"{kind} argument {name}", value=value, name=name.lstrip("-"),
                          script=" " in value.strip())
                for kind, values in self.arguments.items() for name, value in values.items()]


class GlueConnection(AwsResource):
    cfn_type: ClassVar[str] = "AWS::Glue::Connection"

    connection_type: str = ""
    secret_reference: str | None = None  # SECRET_ID or the authentication configuration's SecretArn
    stores_password: bool = False
    password_encrypted: bool = False  # the Data Catalog encrypts connection passwords with KMS
    properties: dict[str, str] = Field(default_factory=dict, repr=False)  # without any password; memory only

    def secret_candidates(self) -> list[Candidate]:
        return [Candidate(field=f"property {name}", value=value, name=name) for name, value in self.properties.items()
                if name not in NOT_SECRET]


@collector("glue.jobs", service="glue", permissions=["glue:GetJobs"],
           secrets=("DefaultArguments", "NonOverridableArguments"))
def jobs(ctx: Reader) -> list[GlueJob]:
    out = []
    for page in ctx.paginate("glue", "get_jobs"):
        for raw in page.data.get("Jobs", []):
            name = raw["Name"]
            out.append(GlueJob(
                arn=ctx.arn("glue", f"job/{name}"), name=name, account=ctx.account, region=ctx.region,
                evidence=(page.evidence,),
                arguments={"default": {k: str(v) for k, v in (raw.get("DefaultArguments") or {}).items()},
                           "non-overridable": {k: str(v) for k, v in
                                               (raw.get("NonOverridableArguments") or {}).items()}},
            ))
    return out


@collector("glue.connections", service="glue", permissions=["glue:GetConnections"], secrets=STORED_PASSWORD)
def connections(ctx: Reader) -> list[GlueConnection]:
    out = []
    for page in ctx.paginate("glue", "get_connections", HidePassword=True):
        for raw in page.data.get("ConnectionList", []):
            name = raw["Name"]
            props = {k: str(v) for k, v in (raw.get("ConnectionProperties") or {}).items()}
            auth = raw.get("AuthenticationConfiguration") or {}
            reference = props.get("SECRET_ID") or auth.get("SecretArn")
            stored = any(k in props for k in STORED_PASSWORD) or ("USERNAME" in props and not reference)
            out.append(GlueConnection(
                arn=ctx.arn("glue", f"connection/{name}"), name=name, account=ctx.account, region=ctx.region,
                evidence=(page.evidence,), connection_type=str(raw.get("ConnectionType", "")),
                secret_reference=reference, stores_password=stored,
                password_encrypted="ENCRYPTED_PASSWORD" in props,
                properties={k: v for k, v in props.items() if k not in STORED_PASSWORD},
            ))
    return out
