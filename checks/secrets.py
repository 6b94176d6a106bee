"""Static credentials outside Secrets Manager: AWS keys, passwords and tokens in plain configuration.

NIST IA-5(7) forbids unencrypted static authenticators embedded in applications and scripts. The values were
read by the collectors and judged once per scan by the secrets engine (``auditpack.secrets``); these checks
turn each resource's verdict into one result. A finding names the field and the kind of secret, never the
value: a masked form and a keyed fingerprint only.

A leaked AWS access key of the scanned account also gets what the responder asks next: its blast radius
(``details.blast_radius``) and what it did in the look-back window (``details.activity``), joined by
``auditpack.resources.leaked_keys``. Both are enrichments: when they cannot be read the finding says so and
keeps its verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from auditpack.library.checks import Result, check
from auditpack.models import Status
from auditpack.resources.codebuild import ENVIRONMENT
from auditpack.resources.inventory import InventoryView
from auditpack.resources.key_owners import KeyOwner
from auditpack.resources.leaked_keys import ENRICHMENT, Leaks, leaks_of
from auditpack.resources.secret_source import Category, Detection, SecretScan

Keep = Callable[[Detection], bool]


def key_owners_of(view: InventoryView, source: str) -> dict[str, KeyOwner]:
    """Who owns each access key id found in a source, by key id (``<source>.key_owners``)."""
    return {o.key_id: o for o in view.get(f"{source}.key_owners")}


def _clause(detections: list[Detection], owners: dict[str, KeyOwner],
            leaked: Leaks | None) -> tuple[str, str, list[str]]:
    """Subject ('environment variable X (in version 3)'), predicate ('holds ...; the key belongs to ...; in the
    last 90 days it made ...') and the evidence of the owner lookup and of the activity."""
    first = detections[0]
    locations = sorted({d.location for d in detections if d.location})
    where = "" if locations in ([], ["$LATEST"]) else f" (in {', '.join(locations)})"
    owner = owners.get(first.secret) if first.category is Category.AWS_ACCESS_KEY_ID else None
    said = f"; the key {owner.describe()}" if owner else ""
    refs = list(owner.evidence) if owner else []
    if owner and leaked and leaked.covers(owner):
        said += f"; {leaked.activity_clause(owner)}"
        refs.extend(leaked.evidence(owner))
    return f"{first.field}{where}", f"holds {first.kind}{said}", refs


def judge(resource: Any, scan: SecretScan | None, what: str, owners: dict[str, KeyOwner] | None = None,
          keep: Keep = lambda d: True, looked_for: str = "credential", leaked: Leaks | None = None) -> Result:
    """One result for one resource from the engine's verdict on it; never a pass without a verdict. With
    ``leaked``, each leaked key of the scanned account gets its blast radius and activity."""
    if scan is None:
        return Result.of(Status.ERROR, resource, f"The values of {what} were not analysed for secrets.")
    if scan.error:
        return Result.of(Status.ERROR, resource, f"Could not judge {what}: {scan.error}.")
    mine = [d for d in scan.detections if keep(d)]
    leaks = [d for d in mine if not d.informational]
    examples = [d for d in mine if d.informational]
    details: dict[str, Any] = {"secrets": [d.model_dump(mode="json") for d in leaks]}
    if examples:
        details["informational"] = [d.model_dump(mode="json") for d in examples]
    if not leaks:
        if examples:
            fields = sorted({d.field for d in examples})
            verb = "holds" if len(fields) == 1 else "hold"
            return Result.of(Status.PASS, resource, f"No {looked_for} in {what}; {' and '.join(fields)} {verb} "
                             "AWS's documentation example key (informational, not a leak).", details=details)
        return Result.of(Status.PASS, resource, f"No {looked_for} found in {what}.", details=details)
    groups: dict[tuple[str, str, str], list[Detection]] = {}
    for d in leaks:
        groups.setdefault((d.field, d.kind, d.fingerprint), []).append(d)
    clauses, evidence = [], list(resource.evidence)
    owners = owners or {}
    for group in groups.values():
        subject, predicate, refs = _clause(group, owners, leaked)
        clauses.append((subject, predicate))
        evidence.extend(refs)
    owner_facts = [owners[d.secret].model_dump(mode="json") | {"key": d.masked}
                   for d in leaks if d.category is Category.AWS_ACCESS_KEY_ID and d.secret in owners]
    if owner_facts:
        details["key_owners"] = owner_facts
    if leaked is not None:
        keys = {d.secret: owners[d.secret] for d in leaks if d.category is Category.AWS_ACCESS_KEY_ID
                and d.secret in owners and leaked.covers(owners[d.secret])}
        if keys:
            details["blast_radius"] = [leaked.blast_radius(o).model_dump(mode="json") for o in keys.values()]
            details["activity"] = [leaked.activity(o).model_dump(mode="json") for o in keys.values()]
    (subject, predicate), rest = clauses[0], clauses[1:]
    message = f"{subject} of {what} {predicate}"
    if rest:
        message += "; also " + "; ".join(f"{s} {p}" for s, p in rest)
    return Result.of(Status.FAIL, resource, message + ".", evidence=evidence, details=details)


def judge_each(view: InventoryView, source: str, noun: str) -> Iterator[Result]:
    """What most secret-source checks say: one result per resource of ``source``, named "<noun> <name>
    (<region>)", with the owner and the recent activity of each leaked key it holds."""
    owners = key_owners_of(view, source)
    leaked = leaks_of(view)
    for resource, scan in view.judged(source):
        yield judge(resource, scan, f"{noun} {resource.name} ({resource.region})", owners, leaked=leaked)


def in_environment(d: Detection) -> bool:
    """A CodeBuild detection in an environment variable (the project's source URLs are judged apart)."""
    return d.field.startswith(ENVIRONMENT)


def _aws(d: Detection) -> bool:
    return d.category.is_aws_key


def _not_aws(d: Detection) -> bool:
    return not d.category.is_aws_key


@check(
    id="lambda_env_no_aws_keys",
    title="Lambda function environments hold no AWS access keys",
    problem="Lambda function environments hold AWS access keys",
    resources=["lambda.functions", "lambda.functions.key_owners"],
    enriched_by=ENRICHMENT,
    severity="critical",
    remediation="Deactivate and delete the leaked access key now (it is exposed to anyone who can read the "
    "function), then give the function an execution role instead of keys, and publish a new version: old "
    "versions keep their environment, so delete the versions that hold the key.",
    scope="region",
)
def lambda_env_no_aws_keys(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a function when an AWS access key id or secret access key is in the environment of $LATEST or of
    any published version, naming the IAM user who owns the key, whether it is active and when it was last
    used."""
    owners = key_owners_of(view, "lambda.functions")
    leaked = leaks_of(view)
    for fn, scan in view.judged("lambda.functions"):
        yield judge(fn, scan, f"function {fn.name} ({fn.region})", owners, _aws, "AWS access key", leaked)


@check(
    id="lambda_env_no_secrets",
    title="Lambda function environments hold no passwords, tokens or other credentials",
    problem="Lambda function environments hold passwords, tokens or other credentials",
    resources=["lambda.functions"],
    severity="high",
    remediation="Move the credential to AWS Secrets Manager (or an SSM SecureString) and have the function read "
    "it at run time; rotate the exposed credential, and delete published versions that still hold it.",
    scope="region",
)
def lambda_env_no_secrets(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a function when a password, token, API key, private key or credential-bearing URL is in the
    environment of $LATEST or of any published version (AWS keys are judged by lambda_env_no_aws_keys)."""
    for fn, scan in view.judged("lambda.functions"):
        yield judge(fn, scan, f"function {fn.name} ({fn.region})", None, _not_aws,
                    "credential other than an AWS key")


@check(
    id="ec2_user_data_no_secrets",
    title="EC2 instance and launch template user data hold no credentials",
    problem="EC2 instance or launch template user data holds credentials",
    resources=["ec2.instance_user_data", "ec2.launch_templates", "ec2.instance_user_data.key_owners",
               "ec2.launch_templates.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Remove the credential from user data (fetch it at boot from Secrets Manager with the instance "
    "role), rotate it, and create a new launch template version; delete old versions that still hold it.",
    scope="region",
)
def ec2_user_data_no_secrets(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails an instance or launch template when its user data (decoded, gunzipped, every template version)
    exports an AWS key, runs `aws configure set` with a secret, or passes a password on a command line."""
    owners = key_owners_of(view, "ec2.instance_user_data") | key_owners_of(view, "ec2.launch_templates")
    leaked = leaks_of(view)
    for item, scan in view.judged("ec2.instance_user_data"):
        yield judge(item, scan, f"instance {item.name} ({item.region})", owners, leaked=leaked)
    for template, scan in view.judged("ec2.launch_templates"):
        yield judge(template, scan, f"launch template {template.name} ({template.region})", owners, leaked=leaked)


@check(
    id="ecs_task_env_no_secrets",
    title="ECS task definitions pass credentials as secrets, not environment variables",
    problem="ECS task definitions pass credentials as plain environment variables",
    resources=["ecs.task_definitions", "ecs.task_definitions.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Move the value to Secrets Manager or an SSM SecureString and reference it from the container's "
    "`secrets` (valueFrom); register a new revision, deregister the old ones and rotate the credential.",
    scope="region",
)
def ecs_task_env_no_secrets(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails an active task definition revision when a container's plain `environment` holds a credential;
    variables injected through `secrets`/`valueFrom` are the good practice and pass."""
    yield from judge_each(view, "ecs.task_definitions", "task definition")


@check(
    id="ssm_parameter_secrets_secure",
    title="SSM parameters that hold credentials are SecureString",
    problem="SSM parameters hold credentials as plain String values",
    resources=["ssm.parameters", "ssm.parameters.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Recreate the parameter as a SecureString encrypted with a KMS key (or move it to Secrets "
    "Manager), update its readers, and rotate the credential it exposed.",
    scope="region",
)
def ssm_parameter_secrets_secure(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a String or StringList parameter whose name or value says it is a credential; SecureString
    parameters pass without their value ever being read."""
    owners = key_owners_of(view, "ssm.parameters")
    leaked = leaks_of(view)
    for parameter, scan in view.judged("ssm.parameters"):
        if parameter.type == "SecureString":
            yield Result.of(Status.PASS, parameter, f"Parameter {parameter.name} ({parameter.region}) is a "
                            "SecureString.")
        else:
            yield judge(parameter, scan, f"{parameter.type} parameter {parameter.name} ({parameter.region})", owners,
                        leaked=leaked)


@check(
    id="cloudformation_outputs_no_secrets",
    title="CloudFormation stack outputs and visible parameters hold no credentials",
    problem="CloudFormation stack outputs or visible parameters hold credentials",
    resources=["cloudformation.stacks", "cloudformation.stacks.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Mark credential parameters NoEcho (better: resolve them with {{resolve:secretsmanager:...}}), "
    "never export a credential as an output, update the stack and rotate the credential.",
    scope="region",
)
def cloudformation_outputs_no_secrets(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a stack when an output, or a parameter not marked NoEcho (NoEcho values read as ****), holds a
    credential: both are shown to anyone with cloudformation:DescribeStacks."""
    yield from judge_each(view, "cloudformation.stacks", "stack")


@check(
    id="codebuild_env_no_secrets",
    title="CodeBuild projects keep credentials out of plaintext environment variables",
    problem="CodeBuild projects hold credentials in plaintext environment variables",
    resources=["codebuild.projects", "codebuild.projects.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Change the variable's type to SECRETS_MANAGER or PARAMETER_STORE (a SecureString), and rotate "
    "the credential that was in plaintext.",
    scope="region",
)
def codebuild_env_no_secrets(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a project when a PLAINTEXT environment variable holds a credential; PARAMETER_STORE and
    SECRETS_MANAGER variables are references and pass."""
    owners = key_owners_of(view, "codebuild.projects")
    leaked = leaks_of(view)
    for project, scan in view.judged("codebuild.projects"):
        yield judge(project, scan, f"project {project.name} ({project.region})", owners, in_environment,
                    leaked=leaked)


@check(
    id="autoscaling_launch_config_no_secrets",
    title="EC2 Auto Scaling launch configurations hold no credentials in their user data",
    problem="EC2 Auto Scaling launch configurations hold credentials in their user data",
    resources=["autoscaling.launch_configurations", "autoscaling.launch_configurations.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Rotate the credential, then give the Auto Scaling group a launch template whose user data fetches "
    "it at boot from Secrets Manager with the instance role; a launch configuration cannot be edited, so delete "
    "the one that holds it once no group uses it.",
    scope="region",
)
def autoscaling_launch_config_no_secrets(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a launch configuration whose user data (decoded, gunzipped) exports an AWS key, runs `aws configure
    set` with a secret, or passes a password on a command line; a launch configuration cannot be changed, so the
    credential stays readable until it is deleted."""
    yield from judge_each(view, "autoscaling.launch_configurations", "launch configuration")
