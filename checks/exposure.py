"""Exposure: S3 buckets and function URLs open to the internet, and launch templates that allow IMDSv1.

These are the doors the incident write-ups walk through: a bucket anyone can read, a Lambda function URL
without authentication (worst when the function holds a key or runs as an administrator), and instances
launched from a template whose metadata service hands role credentials to any forwarded request.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from auditpack.library.checks import Result, check
from auditpack.models import ResourceRef, Severity, Status
from auditpack.resources.awslambda import FunctionUrl
from auditpack.resources.ec2 import MetadataDefaults
from auditpack.resources.ec2_userdata import LaunchTemplate
from auditpack.resources.iam import Role
from auditpack.resources.iam_policy import admin_equivalent
from auditpack.resources.inventory import InventoryView
from auditpack.resources.s3 import AccountPublicAccessBlock, Bucket, PublicAccessBlock
from auditpack.resources.secret_source import SecretScan


def _account(view: InventoryView) -> ResourceRef:
    return ResourceRef(arn=view.account_arn, type="AWS::::Account", name=view.account)


# --- S3 --------------------------------------------------------------------------------------------------------


@check(
    id="s3_account_public_access_blocked",
    title="S3 Block Public Access is on for the account, all four settings",
    problem="S3 Block Public Access is not fully on for the account",
    resources=["s3.account_public_access_block"],
    severity="high",
    remediation="Turn on all four Block Public Access settings for the account (S3 console, Block Public "
    "Access settings for this account, or s3control put-public-access-block); buckets that must serve the "
    "public belong behind CloudFront with origin access control instead.",
)
def s3_account_public_access_blocked(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """The account's S3 Block Public Access has ``BlockPublicAcls``, ``IgnorePublicAcls``, ``BlockPublicPolicy``
    and ``RestrictPublicBuckets`` all on, so no bucket of the account, present or future, can be made public."""
    for found in view.get("s3.account_public_access_block"):
        assert isinstance(found, AccountPublicAccessBlock)
        details = {"configured": found.block.configured, **found.block.settings}
        if not found.block.configured:
            yield Result.of(Status.FAIL, found, "The account has no S3 Block Public Access settings: every bucket "
                            "can be made public by its own policy or ACL.", details=details)
        elif found.block.off:
            yield Result.of(Status.FAIL, found, "The account's S3 Block Public Access leaves "
                            f"{', '.join(found.block.off)} off.", details=details)
        else:
            yield Result.of(Status.PASS, found, "The account's S3 Block Public Access has all four settings on.",
                            details=details)


@check(
    id="s3_bucket_not_public",
    title="No S3 bucket is readable or writable by everyone", problem="S3 buckets are readable or writable by everyone",
    resources=["s3.buckets", "s3.account_public_access_block"],
    severity="critical",
    remediation="Remove the statements with Principal * (or add a restricting condition) from the bucket policy "
    "and the AllUsers/AuthenticatedUsers grants from its ACL (or set Object Ownership to bucket owner "
    "enforced); then turn on Block Public Access for the bucket and the account.",
)
def s3_bucket_not_public(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """No bucket's policy lets anyone (``*``, without a restricting condition) in, and no bucket's ACL grants
    to everyone or to any AWS account, once Block Public Access is applied: ``RestrictPublicBuckets`` (of the
    bucket or the account) neutralises a public policy, ``IgnorePublicAcls`` a public ACL."""
    account_blocks = [a.block for a in view.get("s3.account_public_access_block")]
    account = account_blocks[0] if account_blocks else PublicAccessBlock()
    for bucket in view.get("s3.buckets"):
        assert isinstance(bucket, Bucket)
        exposure = bucket.exposure(account)
        open_parts, blocked = exposure.open, exposure.blocked
        details = {"public_policy_statements": exposure.policy_statements,
                   "public_acl_grants": [g.model_dump() for g in bucket.public_acl_grants],
                   "bucket_block_public_access": bucket.block.settings}
        if open_parts:
            yield Result.of(Status.FAIL, bucket, f"Bucket {bucket.name} ({bucket.region}) is public: "
                            f"{'; '.join(open_parts)}.", details=details)
        elif blocked:
            yield Result.of(Status.PASS, bucket, f"Bucket {bucket.name} is not public: {'; '.join(blocked)}.",
                            details=details)
        else:
            yield Result.of(Status.PASS, bucket, f"Bucket {bucket.name} grants nothing to everyone in its policy "
                            "or ACL.", details=details)


# --- Lambda function URLs -------------------------------------------------------------------------------------


def _secret_sources(view: InventoryView) -> dict[str, list[tuple[str, SecretScan | None]]]:
    """Every secret source's verdict, by the ARN it is keyed to: a function's environment today, and any
    other source whose resources carry the function's ARN (its code package, say) as soon as it is collected."""
    out: dict[str, list[tuple[str, SecretScan | None]]] = defaultdict(list)
    for rtype in view.judged_types():
        for resource, scan in view.judged(rtype):
            out[resource.arn].append((rtype, scan))
    return out


def _held_secrets(verdicts: list[tuple[str, SecretScan | None]]) -> tuple[list[str], list[str]]:
    """(the secrets the function holds, in words; the sources that could not be judged)."""
    held, unknown = [], []
    for rtype, scan in verdicts:
        if scan is None or scan.error:
            unknown.append(rtype)
            continue
        held.extend(f"{d.kind} in {d.field}" for d in scan.detections if not d.informational)
    return sorted(set(held)), unknown


@check(
    id="lambda_url_auth_required",
    title="Lambda function URLs require IAM authentication",
    problem="Lambda function URLs can be invoked without IAM authentication",
    resources=["lambda.function_urls", "lambda.functions"],
    context=["iam.roles"],
    severity="high",
    remediation="Set the function URL's AuthType to AWS_IAM (and sign requests), or delete the URL and put the "
    "function behind API Gateway with an authorizer; if the function holds a credential or runs with broad "
    "rights, rotate the credential and scope its role first.",
    scope="region",
)
def lambda_url_auth_required(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Every function URL (of the function or its aliases) has ``AuthType`` ``AWS_IAM``; a URL with ``NONE``
    fails, and the finding is raised to critical when the same function holds a secret (the verdict of any
    secret source keyed to the function: its environment, its code) or its execution role is admin-equivalent:
    a key in a public function with broad rights is the incident the seeds describe."""
    roles = {r.arn: r for r in view.get("iam.roles") if isinstance(r, Role)}
    sources = _secret_sources(view)
    by_function: dict[str, list[FunctionUrl]] = defaultdict(list)
    for url in view.get("lambda.function_urls"):
        by_function[url.arn].append(url)
    for urls in by_function.values():
        fn = urls[0]
        open_urls = [u for u in urls if u.auth_type != "AWS_IAM"]
        details: dict[str, Any] = {"urls": [{"url": u.url, "qualified_arn": u.url_arn, "auth_type": u.auth_type}
                                            for u in urls], "role": fn.role}
        if not open_urls:
            yield Result.of(Status.PASS, fn, f"Function {fn.name}'s URL requires IAM authentication.", details=details)
            continue
        held, unknown = _held_secrets(sources.get(fn.arn, []))
        role = roles.get(fn.role or "")
        admin = admin_equivalent(role.permissions()) if role else None
        worse = ([f"it holds {', '.join(held)}"] if held else []) + (
            [f"its role {role.role} is admin-equivalent ({'; '.join(admin.granted_by)})"] if admin and role else [])
        details.update(secrets_held=held, unjudged_sources=unknown, role_admin_equivalent=admin is not None)
        where = ", ".join(u.url or u.url_arn for u in open_urls)
        message = f"Function {fn.name} ({fn.region}) can be invoked by anyone: its URL {where} has AuthType NONE"
        if worse:
            message += f", and {' and '.join(worse)}"
        if unknown:
            message += f" (not judged for secrets: {', '.join(unknown)})"
        yield Result.of(Status.FAIL, fn, message + ".", details=details,
                        severity=Severity.CRITICAL if worse else None,
                        evidence=[*fn.evidence, *(role.evidence if role and admin else ())])


# --- launch templates -----------------------------------------------------------------------------------------


def _version_verdict(options: dict[str, str], defaults: MetadataDefaults | None) -> tuple[bool, str]:
    if options.get("HttpEndpoint") == "disabled":
        return True, "disables the metadata endpoint"
    tokens = options.get("HttpTokens")
    if tokens == "required":
        return True, "requires IMDSv2"
    if tokens:
        return False, f"sets HttpTokens = {tokens}, so IMDSv1 answers"
    if defaults is not None and defaults.http_tokens == "required":
        return True, "sets no HttpTokens and inherits the region's account default (required)"
    return False, "sets no HttpTokens and the region has no account default requiring IMDSv2, so IMDSv1 answers " \
                  "unless the AMI requires v2"


@check(
    id="ec2_launch_template_imdsv2_required",
    title="Launch templates require IMDSv2 in their default and latest versions",
    problem="Launch templates allow IMDSv1",
    resources=["ec2.launch_templates", "ec2.metadata_defaults"],
    severity="medium",
    remediation="Create a launch template version with MetadataOptions HttpTokens=required and make it the "
    "default; set the region's account default too (ModifyInstanceMetadataDefaults HttpTokens=required).",
    scope="region",
)
def ec2_launch_template_imdsv2_required(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """The default and the latest version of every launch template require IMDSv2 session tokens (or disable
    the metadata endpoint), directly or by leaving it to the region's account default when that requires
    them: every instance launched from the template inherits the setting."""
    found_defaults = view.get("ec2.metadata_defaults")
    defaults = found_defaults[0] if found_defaults else None
    for template in view.get("ec2.launch_templates"):
        assert isinstance(template, LaunchTemplate)
        versions = dict.fromkeys(v for v in (template.default_version, template.latest_version) if v)
        verdicts = {v: _version_verdict(template.metadata_options.get(v, {}), defaults) for v in versions}
        labels = {v: ("default and latest" if v == template.default_version == template.latest_version
                      else "default" if v == template.default_version else "latest") for v in versions}
        parts = [f"its {labels[v]} version {v} {why}" for v, (_ok, why) in verdicts.items()]
        details = {"default_version": template.default_version, "latest_version": template.latest_version,
                   "metadata_options": {v: template.metadata_options.get(v, {}) for v in versions},
                   "account_default_http_tokens": defaults.http_tokens if defaults else None}
        evidence = [*template.evidence, *(defaults.evidence if defaults else ())]
        ok = all(good for good, _why in verdicts.values())
        status = Status.PASS if ok else Status.FAIL
        tail = "" if ok else "; instances launched from it accept IMDSv1 requests"
        yield Result.of(status, template, f"Launch template {template.name}: {'; '.join(parts)}{tail}.",
                        details=details, evidence=evidence)
