"""Seed an emulated account at a benchmark size with plain boto3 calls.

Sizes follow the performance issue: S is the demo account; M and L add IAM users with access keys, Lambda
functions, Secrets Manager secrets, EC2 instances, IAM roles and S3 buckets, spread over 2 or 4 regions. Each
family gets realistic variety (old keys, functions with and without environment variables, instances with and
without IMDSv2 and user data, administrator roles, public buckets), so that checks have passes and failures to
judge as their families land. Nothing here depends on
which collectors exist: the account is the same whatever the scan looks at.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import boto3

from auditpack.emulator.demo import seed_sample_account
from auditpack.emulator.seeding import guard

FAKE_AMI = "ami-0bench000000000001"  # moto accepts any image id when default AMIs are not loaded
LAMBDA_ROLE = "bench-lambda-role"


@dataclass(frozen=True)
class Size:
    name: str
    users: int
    functions: int
    secrets: int
    instances: int
    regions: tuple[str, ...]
    roles: int = 0
    buckets: int = 0

    def describe(self) -> str:
        if not (self.users or self.functions or self.secrets or self.instances):
            return f"{self.name}: the demo account, {len(self.regions)} regions"
        return (f"{self.name}: {self.users:,} users with keys, {self.functions:,} functions, {self.secrets:,} secrets, "
                f"{self.instances:,} instances, {self.roles:,} roles, {self.buckets:,} buckets, "
                f"{len(self.regions)} regions")


SIZES = {
    "S": Size("S", 0, 0, 0, 0, ("us-east-1", "us-west-2")),
    "M": Size("M", 2_000, 1_000, 500, 200, ("us-east-1", "us-west-2"), roles=500, buckets=100),
    "L": Size("L", 10_000, 5_000, 2_000, 1_000, ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"),
              roles=2_000, buckets=400),
}


def spread(total: int, regions: tuple[str, ...]) -> dict[str, int]:
    """``total`` items over ``regions`` as evenly as possible, the first regions taking the remainder."""
    base, extra = divmod(total, len(regions))
    return {r: base + (1 if i < extra else 0) for i, r in enumerate(regions)}


def _parallel(func: Callable[[int], None], items: Iterable[int], workers: int = 4) -> None:
    """Client work overlaps the emulator's with a few threads; more only contend for the one GIL."""
    with ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(func, items):
            pass


def seed_users(count: int, *, old_share: int = 3) -> None:
    """Users with one access key each; every ``old_share``-th key is backdated 200 days (a rotation failure)."""
    if not count:
        return
    iam = boto3.client("iam", region_name="us-east-1")

    def user(i: int) -> None:
        name = f"bench-user-{i:05d}"
        iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": f"team-{i % 17}"}])
        iam.create_access_key(UserName=name)

    old = [i for i in range(count) if i % old_share == 0]
    new = [i for i in range(count) if i % old_share != 0]
    if old:
        from freezegun import freeze_time  # the emulator shares this process' clock: keys keep their old date

        with freeze_time(datetime.now(UTC) - timedelta(days=200)):
            _parallel(user, old)
    _parallel(user, new)


def _lambda_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buffer.getvalue()


def seed_functions(per_region: dict[str, int]) -> None:
    """Functions with environment variables; every fifth carries a credential-looking value."""
    if not any(per_region.values()):
        return
    iam = boto3.client("iam", region_name="us-east-1")
    trust = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},'
             '"Action":"sts:AssumeRole"}]}')
    role = iam.create_role(RoleName=LAMBDA_ROLE, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    code = _lambda_zip()
    for region, count in per_region.items():
        client = boto3.client("lambda", region_name=region)

        def function(i: int, client=client, region=region) -> None:
            env = {"STAGE": "prod", "LOG_LEVEL": "info"}
            if i % 5 == 0:
                env["DB_PASSWORD"] = f"bench-not-a-real-password-{i:05d}"
            client.create_function(FunctionName=f"bench-fn-{region}-{i:05d}", Runtime="python3.12", Role=role,
                                   Handler="handler.handler", Code={"ZipFile": code},
                                   Environment={"Variables": env})

        _parallel(function, range(count))


def seed_secrets(per_region: dict[str, int]) -> None:
    for region, count in per_region.items():
        client = boto3.client("secretsmanager", region_name=region)

        def secret(i: int, client=client, region=region) -> None:
            client.create_secret(Name=f"bench/{region}/secret-{i:05d}",
                                 SecretString=f'{{"password": "bench-secret-{i:05d}"}}')

        _parallel(secret, range(count))


def seed_instances(per_region: dict[str, int], batch: int = 50) -> None:
    """Instances in batches; alternate batches require IMDSv2 and carry user data."""
    for region, count in per_region.items():
        ec2 = boto3.client("ec2", region_name=region)
        for n, start in enumerate(range(0, count, batch)):
            size = min(batch, count - start)
            kwargs = {}
            if n % 2 == 0:
                kwargs["MetadataOptions"] = {"HttpTokens": "required", "HttpEndpoint": "enabled"}
            else:
                kwargs["UserData"] = "#!/bin/sh\necho bench\n"
            ec2.run_instances(ImageId=FAKE_AMI, MinCount=size, MaxCount=size, InstanceType="t3.micro",
                              TagSpecifications=[{"ResourceType": "instance",
                                                  "Tags": [{"Key": "Name", "Value": f"bench-{region}-{n}"}]}],
                              **kwargs)


def seed_roles(count: int) -> None:
    """Roles for workloads, each with an inline policy; every tenth is an administrator (a finding)."""
    if not count:
        return
    iam = boto3.client("iam", region_name="us-east-1")
    trust = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},'
             '"Action":"sts:AssumeRole"}]}')
    scoped = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'
    admin = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'

    def role(i: int) -> None:
        name = f"bench-role-{i:05d}"
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
        iam.put_role_policy(RoleName=name, PolicyName="workload", PolicyDocument=admin if i % 10 == 0 else scoped)

    _parallel(role, range(count))


def seed_buckets(per_region: dict[str, int]) -> None:
    """Buckets in every region; every twentieth has a public-read ACL (a finding)."""
    for region, count in per_region.items():
        client = boto3.client("s3", region_name=region)
        where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}

        def bucket(i: int, client=client, region=region, where=where) -> None:
            name = f"bench-{region}-{i:05d}"
            client.create_bucket(Bucket=name, **where)
            if i % 20 == 0:
                client.put_bucket_acl(Bucket=name, ACL="public-read")

        _parallel(bucket, range(count))


def seed(size: Size) -> None:
    """The demo account, then the size's resources; only ever against the local emulator."""
    guard()
    seed_sample_account()
    seed_users(size.users)
    seed_functions(spread(size.functions, size.regions))
    seed_secrets(spread(size.secrets, size.regions))
    seed_instances(spread(size.instances, size.regions))
    seed_roles(size.roles)
    seed_buckets(spread(size.buckets, size.regions))
