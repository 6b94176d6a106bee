"""Static credentials in the configuration of more services: documents, definitions, templates, arguments,
connections, scripts, stage variables, source URLs, environment properties and tags (NIST IA-5(7)).

Each check turns the secrets engine's verdict on one resource into one result (``judge``): a finding names the
field and the kind of secret, never the value. Several of these places are read by no open-source scanner today:
Elastic Beanstalk environment properties, stack templates, tags and S3 objects (docs/secrets.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditpack.library.checks import Result, check
from auditpack.models import Status
from auditpack.resources.inventory import InventoryView
from auditpack.resources.leaked_keys import ENRICHMENT, leaks_of
from auditpack.resources.secret_source import Detection

from .secrets import in_environment, judge, judge_each, key_owners_of


def _in_source(d: Detection) -> bool:
    return not in_environment(d)


@check(
    id="ssm_document_no_secrets",
    title="SSM documents the account owns hold no credentials",
    problem="SSM documents the account owns hold credentials",
    resources=["ssm.documents", "ssm.documents.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Rotate the credential, then have the document read it at run time (a SecureString parameter "
    "through {{ssm-secure:...}}, or Secrets Manager with the instance role) and publish a new default version; "
    "delete the versions that still hold it.",
    scope="region",
)
def ssm_document_no_secrets(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a document of the account whose default version holds a credential in a command, a script or a
    parameter's default; a parameter resolved from a SecureString or Secrets Manager passes."""
    yield from judge_each(view, "ssm.documents", "document")


@check(
    id="batch_job_definition_no_secrets",
    title="AWS Batch job definitions pass credentials as secrets, not environment variables",
    problem="AWS Batch job definitions pass credentials as plain environment variables",
    resources=["batch.job_definitions", "batch.job_definitions.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Move the value to Secrets Manager or an SSM SecureString and reference it from the container's "
    "`secrets` (valueFrom); register a new revision, deregister the old ones and rotate the credential.",
    scope="region",
)
def batch_job_definition_no_secrets(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails an active job definition revision whose container, ECS or EKS properties carry a credential in a
    plain environment variable; `secrets` that reference Secrets Manager or SSM pass."""
    yield from judge_each(view, "batch.job_definitions", "job definition")


@check(
    id="stepfunctions_definition_no_secrets",
    title="Step Functions state machine definitions hold no literal credentials",
    problem="Step Functions state machine definitions hold literal credentials",
    resources=["stepfunctions.state_machines", "stepfunctions.state_machines.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Give HTTP tasks an EventBridge connection (Authentication.ConnectionArn) and other tasks a "
    "Secrets Manager lookup instead of literal values; update the state machine and rotate the credential, which "
    "past executions' histories still show.",
    scope="region",
)
def stepfunctions_definition_no_secrets(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a state machine whose definition writes a credential into a task's parameters or arguments, an HTTP
    task's headers or its authentication; values taken from the input (`.$` paths) pass."""
    yield from judge_each(view, "stepfunctions.state_machines", "state machine")


@check(
    id="glue_job_no_secrets",
    title="Glue jobs hold no credentials in their arguments",
    problem="Glue jobs hold credentials in their arguments",
    resources=["glue.jobs", "glue.jobs.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Have the job read the credential at run time from Secrets Manager (or a Glue connection that "
    "references one) instead of an argument; update the job and rotate the credential.",
    scope="region",
)
def glue_job_no_secrets(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a job whose default or non-overridable arguments hold a credential: both are shown by glue:GetJobs
    and passed to every run."""
    yield from judge_each(view, "glue.jobs", "job")


@check(
    id="glue_connection_no_plaintext_password",
    title="Glue connections reference a Secrets Manager secret instead of storing a password",
    problem="Glue connections store a password instead of referencing a Secrets Manager secret",
    resources=["glue.connections", "glue.connections.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Store the password in Secrets Manager and set the connection's SECRET_ID (or its authentication "
    "configuration's secret) instead of a password; rotate the password the connection held.",
    scope="region",
)
def glue_connection_no_plaintext_password(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a connection that stores its password in the connection itself (a user name and no Secrets Manager
    reference), or whose other properties (a JDBC URL) carry a credential; read with HidePassword, so the password
    itself is never read."""
    owners = key_owners_of(view, "glue.connections")
    leaked = leaks_of(view)
    for conn, scan in view.judged("glue.connections"):
        what = f"connection {conn.name} ({conn.region})"
        judged = judge(conn, scan, what, owners, leaked=leaked)
        if not conn.stores_password or judged.status is Status.ERROR:
            if judged.status is Status.PASS and conn.secret_reference:
                judged.message = f"Connection {conn.name} ({conn.region}) references a Secrets Manager secret."
            yield judged
            continue
        how = ("encrypted with the Data Catalog's KMS key, but readable by anyone allowed to decrypt it"
               if conn.password_encrypted else "without a Secrets Manager reference")
        sentence = f"{what} stores its password in the connection itself, {how}"
        if judged.status is Status.FAIL:
            sentence += "; also " + judged.message[0].lower() + judged.message[1:].rstrip(".")
        yield Result.of(Status.FAIL, conn, sentence + ".", evidence=judged.evidence,
                        details={**judged.details, "stores_password": True,
                                 "password_encrypted": conn.password_encrypted})


@check(
    id="sagemaker_lifecycle_no_secrets",
    title="SageMaker notebook lifecycle configurations hold no credentials",
    problem="SageMaker notebook lifecycle configurations hold credentials",
    resources=["sagemaker.lifecycle_configs", "sagemaker.lifecycle_configs.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Have the script fetch the credential at run time from Secrets Manager with the notebook's "
    "execution role; update the lifecycle configuration and rotate the credential.",
    scope="region",
)
def sagemaker_lifecycle_no_secrets(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a lifecycle configuration whose OnCreate or OnStart script (base64-decoded) exports a key, sets a
    password or passes one on a command line."""
    yield from judge_each(view, "sagemaker.lifecycle_configs", "lifecycle configuration")


@check(
    id="apigateway_stage_variables_no_secrets",
    title="API Gateway stage variables hold no credentials",
    problem="API Gateway stage variables hold credentials",
    resources=["apigateway.stages", "apigateway.stages.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Keep the backend's credential in Secrets Manager (read by a Lambda integration or an "
    "authorizer) instead of a stage variable; update the stage and rotate the credential.",
    scope="region",
)
def apigateway_stage_variables_no_secrets(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a REST API stage whose stage variables hold a credential."""
    yield from judge_each(view, "apigateway.stages", "stage")


@check(
    id="codebuild_source_no_credentials",
    title="CodeBuild source URLs carry no credentials",
    problem="CodeBuild source URLs carry credentials",
    resources=["codebuild.projects"],
    severity="high",
    remediation="Remove the user and token from the URL and give CodeBuild a source credential "
    "(ImportSourceCredentials) or a CodeConnections connection; revoke the token that was in the URL.",
    scope="region",
)
def codebuild_source_no_credentials(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a project whose source or secondary source URL embeds a credential (https://user:token@host/...)."""
    for project, scan in view.judged("codebuild.projects"):
        yield judge(project, scan, f"project {project.name} ({project.region})", None, _in_source,
                    "credential in a source URL")


@check(
    id="elasticbeanstalk_env_no_secrets",
    title="Elastic Beanstalk environment properties hold no credentials",
    problem="Elastic Beanstalk environment properties hold credentials",
    resources=["elasticbeanstalk.environments", "elasticbeanstalk.environments.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Make the value an environment secret (a Secrets Manager secret or SSM parameter reference) "
    "instead of a plain environment property; update the environment and rotate the credential.",
    scope="region",
)
def elasticbeanstalk_env_no_secrets(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails an environment whose environment properties (namespace aws:elasticbeanstalk:application:environment)
    hold a credential."""
    owners = key_owners_of(view, "elasticbeanstalk.environments")
    leaked = leaks_of(view)
    for env, scan in view.judged("elasticbeanstalk.environments"):
        what = f"environment {env.name} of application {env.application} ({env.region})"
        yield judge(env, scan, what, owners, leaked=leaked)


@check(
    id="cloudformation_template_no_secrets",
    title="CloudFormation stack templates hold no literal credentials",
    problem="CloudFormation stack templates hold literal credentials",
    resources=["cloudformation.templates", "cloudformation.templates.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Replace the literal with a dynamic reference ({{resolve:secretsmanager:...}}) or a NoEcho "
    "parameter without a default, update the stack, and rotate the credential: GetTemplate keeps showing the "
    "template the stack was created from.",
    scope="region",
)
def cloudformation_template_no_secrets(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a stack whose template writes a credential as text (a MasterUserPassword, a SecretString, a
    parameter's default, a cfn-init command); Refs to NoEcho parameters and dynamic references pass."""
    yield from judge_each(view, "cloudformation.templates", "the template of stack")


@check(
    id="resource_tags_no_secrets",
    title="Resource tags hold no credentials",
    problem="Resource tags hold credentials",
    resources=["tagging.resources", "iam.principal_tags", "tagging.resources.key_owners",
               "iam.principal_tags.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Remove the tag (tags are metadata, copied into billing and inventory tools), rotate the "
    "credential, and keep it in Secrets Manager; tag the resource with the secret's name if it needs a pointer.",
    scope="region",
)
def resource_tags_no_secrets(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a resource whose tag keys or values hold a credential: every resource the Resource Groups Tagging
    API lists in the region, and IAM users and roles (reported once, with the scan's first region)."""
    owners = key_owners_of(view, "tagging.resources") | key_owners_of(view, "iam.principal_tags")
    leaked = leaks_of(view)
    for resource, scan in view.judged("tagging.resources"):
        yield judge(resource, scan, f"{resource.ref().name} ({resource.region})", owners, leaked=leaked)
    if view.reports_global:
        for principal, scan in view.judged("iam.principal_tags"):
            yield judge(principal, scan, principal.ref().name, owners, leaked=leaked)
