"""Seed an emulated account at a benchmark size with plain boto3 calls.

Sizes follow the performance issue: S is the demo account; M and L add IAM users with access keys, Lambda
functions, Secrets Manager secrets, EC2 instances, IAM roles and S3 buckets, spread over 2 or 4 regions. Each
family gets realistic variety (old keys, functions with and without environment variables, instances with and
without IMDSv2 and user data, administrator roles, public buckets), so that checks have passes and failures to
judge as their families land. Nothing here depends on
which collectors exist: the account is the same whatever the scan looks at.

The secret sources of issue 15 grow with the size where their cost lies: code packages shared by many functions
(and by the versions they publish), layer contents shared by several layer versions, a large bucket per region
beside small ones, credential-named objects among them, and thousands of tagged resources (functions, secrets,
queues) for the Tagging API to page through.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import boto3

from auditpack.emulator.demo import seed_sample_account
from auditpack.emulator.seeding import guard

FAKE_AMI = "ami-0bench000000000001"  # moto accepts any image id when default AMIs are not loaded
LAMBDA_ROLE = "bench-lambda-role"
T = TypeVar("T")


@dataclass(frozen=True)
class Size:
    name: str
    users: int
    functions: int
    secrets: int
    instances: int
    regions: tuple[str, ...]
    packages: int = 0  # distinct code packages the functions share (0: one for all)
    layers: int = 0  # layer versions; a third as many distinct contents
    buckets: int = 0  # small buckets, spread over the regions, plus one large bucket per region
    large_bucket_keys: int = 0
    queues: int = 0  # tagged SQS queues, on top of the tagged functions, secrets and instances
    roles: int = 0
    open_buckets: int = 0  # buckets with no credential file; every twentieth public-read

    def describe(self) -> str:
        if not (self.users or self.functions or self.secrets or self.instances):
            return f"{self.name}: the demo account, {len(self.regions)} regions"
        return (f"{self.name}: {self.users:,} users with keys, {self.functions:,} functions on {self.packages:,} "
                f"packages, {self.layers:,} layer versions, {self.secrets:,} secrets, {self.instances:,} instances, "
                f"{self.roles:,} roles, {self.buckets + self.open_buckets:,} buckets + {len(self.regions)} of "
                f"{self.large_bucket_keys:,} keys, {self.queues:,} tagged queues, {len(self.regions)} regions")


SIZES = {
    "S": Size("S", 0, 0, 0, 0, ("us-east-1", "us-west-2")),
    "M": Size("M", 2_000, 1_000, 500, 200, ("us-east-1", "us-west-2"), packages=40, layers=24, buckets=10,
              large_bucket_keys=3_000, queues=1_000, roles=500, open_buckets=100),
    "L": Size("L", 10_000, 5_000, 2_000, 1_000, ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"),
              packages=150, layers=60, buckets=24, large_bucket_keys=12_000, queues=5_000, roles=2_000,
              open_buckets=400),
}


def spread(total: int, regions: tuple[str, ...]) -> dict[str, int]:
    """``total`` items over ``regions`` as evenly as possible, the first regions taking the remainder."""
    base, extra = divmod(total, len(regions))
    return {r: base + (1 if i < extra else 0) for i, r in enumerate(regions)}


def _parallel(func: Callable[[T], None], items: Iterable[T], workers: int = 4) -> None:
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


def _zip(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _lambda_zip(n: int = 0) -> bytes:
    """Package ``n``: a handler, a vendored dependency, a binary asset; every seventh has a config file with a
    credential-looking value. Packages differ (their digests do) so that each is one download."""
    files: dict[str, str | bytes] = {
        "handler.py": f"def handler(event, context):\n    return {{'ok': True, 'package': {n}}}\n",
        "vendor/lib/util.py": "".join(f"def helper_{k}(x):\n    return x * {k} + {n}\n" for k in range(300)),
        "static/logo.bin": bytes(range(256)) * 4 + n.to_bytes(4, "big"),
    }
    if n % 7 == 3:
        files["config.py"] = f'DB_PASSWORD = "bench-pkg-pw-{n:04d}-Zq"\n'
    return _zip(files)


def seed_functions(per_region: dict[str, int], packages: int = 0) -> None:
    """Functions with environment variables; every fifth carries a credential-looking value. They share
    ``packages`` code packages round robin (one when 0), and every tenth publishes a version of the same code."""
    if not any(per_region.values()):
        return
    iam = boto3.client("iam", region_name="us-east-1")
    trust = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},'
             '"Action":"sts:AssumeRole"}]}')
    role = iam.create_role(RoleName=LAMBDA_ROLE, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    codes = [_lambda_zip(n) for n in range(max(1, packages))]
    for region, count in per_region.items():
        client = boto3.client("lambda", region_name=region)

        def function(i: int, client=client, region=region) -> None:
            env = {"STAGE": "prod", "LOG_LEVEL": "info"}
            if i % 5 == 0:
                env["DB_PASSWORD"] = f"bench-not-a-real-password-{i:05d}"
            name = f"bench-fn-{region}-{i:05d}"
            client.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                                   Handler="handler.handler", Code={"ZipFile": codes[i % len(codes)]},
                                   Environment={"Variables": env}, Tags={"team": f"team-{i % 17}"})
            if i % 10 == 0:
                client.publish_version(FunctionName=name)

        _parallel(function, range(count))


def seed_layers(per_region: dict[str, int]) -> None:
    """Layer versions whose contents repeat: a third as many distinct contents as versions, so a content shared
    by several versions is one download; every fifth content holds a .env file."""
    for region, count in per_region.items():
        client = boto3.client("lambda", region_name=region)
        distinct = max(1, count // 3)
        contents = [_zip({"python/lib/shared.py": "".join(f"K{k} = {k * n}\n" for k in range(500)),
                          **({"python/.env": f"API_TOKEN=bench-layer-token-{n:04d}-Vx\n"} if n % 5 == 0 else {})})
                    for n in range(distinct)]
        for k in range(count):  # versions of one layer are numbered in order: published one by one
            client.publish_layer_version(LayerName=f"bench-layer-{k % max(1, distinct // 2)}",
                                         Content={"ZipFile": contents[k % distinct]})


def seed_buckets(regions: tuple[str, ...], small: int, large_keys: int) -> None:
    """``small`` buckets over the regions (logs, and in every other one a .env file and Terraform state) and one
    bucket per region with ``large_keys`` keys, a few of them named like credential files."""
    if not (small or large_keys):
        return

    def put(item: tuple[str, str, str, str]) -> None:
        region, bucket, key, body = item
        boto3.client("s3", region_name=region).put_object(Bucket=bucket, Key=key, Body=body.encode())

    objects: list[tuple[str, str, str, str]] = []
    for region, count in spread(small, regions).items():
        s3 = boto3.client("s3", region_name=region)
        for i in range(count):
            bucket = f"bench-{region}-small-{i:03d}"
            s3.create_bucket(Bucket=bucket, **_location(region))
            objects += [(region, bucket, f"logs/{n:03d}.log", f"line {n}\n" * 20) for n in range(40)]
            if i % 2 == 0:
                objects += [(region, bucket, "app/.env", f"DB_PASSWORD=bench-s3-pw-{region}-{i:03d}\n"),
                            (region, bucket, "infra/prod.tfstate", '{"version": 4, "resources": []}\n' * 30)]
            objects.append((region, bucket, "web/config.json", '{"apiUrl": "https://api.example.com"}'))
    for region in regions if large_keys else ():
        bucket = f"bench-{region}-large"
        boto3.client("s3", region_name=region).create_bucket(Bucket=bucket, **_location(region))
        objects += [(region, bucket, f"data/{n // 1000:03d}/part-{n:06d}.csv", f"{n},value\n")
                    for n in range(large_keys)]
        objects += [(region, bucket, f"deploy/{n}/.npmrc", "registry=https://registry.npmjs.org/\n")
                    for n in range(3)]
    _parallel(put, objects, workers=8)


def _location(region: str) -> dict:
    return {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}


def seed_queues(per_region: dict[str, int]) -> None:
    """Tagged queues: resources the Tagging API pages through; every fiftieth tag holds a token."""
    for region, count in per_region.items():
        client = boto3.client("sqs", region_name=region)

        def queue(i: int, client=client, region=region) -> None:
            tags = {"team": f"team-{i % 17}", "cost-center": f"cc-{i % 40}"}
            if i % 50 == 0:
                tags["deploy_token"] = f"bench-tag-token-{i:05d}-Qw8"
            client.create_queue(QueueName=f"bench-q-{region}-{i:05d}", tags=tags)

        _parallel(queue, range(count))


def seed_secrets(per_region: dict[str, int]) -> None:
    for region, count in per_region.items():
        client = boto3.client("secretsmanager", region_name=region)

        def secret(i: int, client=client, region=region) -> None:
            client.create_secret(Name=f"bench/{region}/secret-{i:05d}",
                                 SecretString=f'{{"password": "bench-secret-{i:05d}"}}',
                                 Tags=[{"Key": "team", "Value": f"team-{i % 17}"}])

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


def seed_open_buckets(per_region: dict[str, int]) -> None:
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
    seed_functions(spread(size.functions, size.regions), size.packages)
    seed_layers(spread(size.layers, size.regions))
    seed_secrets(spread(size.secrets, size.regions))
    seed_instances(spread(size.instances, size.regions))
    seed_buckets(size.regions, size.buckets, size.large_bucket_keys)
    seed_queues(spread(size.queues, size.regions))
    seed_roles(size.roles)
    seed_open_buckets(spread(size.open_buckets, size.regions))
