"""``auditpack incident`` end to end against the emulator: the leaked-key story seeded, its pack read back."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import boto3
import jsonschema
import pytest
from pypdf import PdfReader

from auditpack.emulator.seeding import incident as story
from auditpack.emulator.seeding.activity import Caller, record, seed_history
from auditpack.emulator.seeding.secrets import seed_secrets
from tests.helpers import api_calls, run_cli
from tests.secretsearch import assert_never_written

REGIONS = ("--region", "us-east-1", "--region", "us-west-2", "--region", story.UNUSED_REGION)
BUCKET = "trail-logs"


@pytest.fixture
def leaked(aws):
    """The story in one account: the leak, the CI's history (older part in log files only), the bot's visit."""
    planted = seed_secrets("us-east-1")
    story.ci_permissions()
    key = story.leaked_key()
    records, created = story.attack(key)
    history = [*story.ci_history(key, "us-east-1"), *records]
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    story.deliver(BUCKET, history)
    story.seed_recent(history)
    key.planted += planted.secrets
    return key, created


def investigate(capsys, key_id: str, out, *extra: str):
    return run_cli(capsys, "incident", "--access-key-id", key_id, "--out", str(out), *extra)


def load(out) -> dict:
    return json.loads((out / "incident.json").read_text())


def test_the_incident_pack_tells_what_the_key_could_do_did_and_created(leaked, out_dir, capsys, monkeypatch):
    key, created = leaked
    with api_calls(monkeypatch) as calls:
        result = investigate(capsys, key.key_id, out_dir, "--days", "180", "--trail-bucket", f"s3://{BUCKET}",
                             *REGIONS)

    assert result.code == 1, result.stderr
    incident = load(out_dir)
    assert incident["owner"]["user"] == "ci-deployer" and incident["owner"]["status"] == "Active"
    assert incident["owner"]["last_used_service"] == "ec2", "the bot's RunInstances was the key's last use"
    held = {c["name"] for c in incident["blast_radius"]["capabilities"]}
    assert {"create-principals-or-keys", "pass-role", "launch-compute", "read-data"} <= held
    assert "admin-equivalent" not in held
    flagged = [(e["name"], e["flag"]) for e in incident["activity"]["flagged"]]
    assert flagged == [("GetCallerIdentity", "recon-from-new-address"),  # 95 days ago: only in the log files
                       ("CreateUser", "identity-creation"), ("AttachUserPolicy", "identity-creation"),
                       ("CreateAccessKey", "identity-creation"), ("RunInstances", "compute-in-unused-region")]
    old_probe = datetime.fromisoformat(incident["activity"]["flagged"][0]["time"].replace("Z", "+00:00"))
    assert datetime.now(UTC) - old_probe > timedelta(days=90)
    assert any(s.startswith(f"trail log files s3://{BUCKET}") for s in incident["activity"]["sources"])

    followed = {(f["kind"], f["name"]): f for f in incident["followed"]}
    masked_created = f"{created.key_id[:4]}…{created.key_id[-4:]}"
    assert set(followed) == {("user", "backup-svc"), ("access key", masked_created)}
    user = followed[("user", "backup-svc")]
    assert {c["name"] for c in user["blast_radius"]["capabilities"]} >= {"admin-equivalent"}
    assert [e["name"] for e in followed[("access key", masked_created)]["activity"]["flagged"]] == ["RunInstances"]
    assert followed[("access key", masked_created)]["activity"]["event_count"] == 2

    steps = incident["checklist"]
    assert [s["title"] for s in steps] == ["Make the key inactive", "Create a replacement and update where it is used",
                                           "Delete the old key", "Review the activity",
                                           "Open a billing case if it was abused"]
    first = "\n".join(steps[0]["commands"])
    assert f"ends_with(AccessKeyId, '{key.key_id[-4:]}')" in first
    assert ('aws iam update-access-key --user-name ci-deployer --access-key-id "$LEAKED_KEY_ID" '
            "--status Inactive") in first
    assert "--user-name backup-svc --access-key-id \"$CREATED_KEY_1\" --status Inactive" in first
    review = "\n".join(steps[3]["commands"])
    assert f"aws ec2 terminate-instances --region {story.UNUSED_REGION} --instance-ids i-" in review
    assert f"aws iam detach-user-policy --user-name backup-svc --policy-arn {story.ADMINISTRATOR}" in review
    assert "Containment checklist for access key" in result.stdout and "--status Inactive" in result.stdout

    listed = [p["Prefix"] for s, op, p in calls if op == "ListObjectsV2" and re.search(r"/\d{4}/\d{2}/\d{2}/$",
                                                                                         p.get("Prefix", ""))]
    dates = {datetime.strptime(p[-11:-1], "%Y/%m/%d").date() for p in listed}
    assert listed and min(dates) >= (datetime.now(UTC) - timedelta(days=180)).date(), "only the window's days"
    folders = {p.split("/CloudTrail/", 1)[1].split("/", 1)[0] for p in listed}
    assert folders == {"us-east-1", story.UNUSED_REGION}, "only the regions the bucket holds (not us-west-2)"
    assert not any(op == "ListObjectsV2" and "Prefix" not in p for s, op, p in calls), "never the whole bucket"

    policy = json.loads(run_cli(capsys, "permissions", "--incident").stdout)
    allowed = {a.lower() for statement in policy["Statement"] for a in statement["Action"]}
    made = {f"{s}:{op}".lower() for s, op, _p in calls}
    assert made <= allowed | {"s3:listobjectsv2"} and "s3:listbucket" in allowed, "s3:ListBucket allows ListObjectsV2"

    schema = json.loads(run_cli(capsys, "schema", "--incident").stdout)
    jsonschema.validate(incident, schema)
    assert incident["schema_version"] == "1.0.0"
    assert run_cli(capsys, "verify", str(out_dir)).code == 0
    assert {p.name for p in out_dir.iterdir()} >= {"incident.json", "incident.html", "incident.pdf", "evidence",
                                                   "manifest.json", "SHA256SUMS"}
    text = " ".join(page.extract_text() for page in PdfReader(out_dir / "incident.pdf").pages)
    for heading in ("Summary", "Timeline", "What the key can do", "What it created", "Containment checklist"):
        assert heading in text
    assert f"launched compute where the account runs none (in {story.UNUSED_REGION}: " in " ".join(text.split())
    assert_never_written(key.planted, out_dir, texts=[result.stdout, result.stderr, text])  # PDF: its text


def test_a_key_of_another_account_is_named_and_refused(aws, out_dir, capsys):
    from auditpack.emulator.seeding.organization import create_organization, in_account

    _management, members = create_organization("workload")
    with in_account(members["workload"]):
        iam = boto3.client("iam")
        iam.create_user(UserName="elsewhere")
        key = iam.create_access_key(UserName="elsewhere")["AccessKey"]

    result = investigate(capsys, key["AccessKeyId"], out_dir, "--region", "us-east-1")

    assert result.code == 2
    assert f"the key belongs to account {members['workload']}" in result.stderr
    assert not out_dir.exists(), "no pack for a key that is not ours to investigate"
    assert_never_written([key["AccessKeyId"], key["SecretAccessKey"]], texts=[result.stdout, result.stderr])


@pytest.mark.parametrize(("args", "says"), [
    (("--access-key-id", "AKIA-not-a-key-at-all"), "--access-key-id: not an AWS access key id"),
    (("--access-key-id", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzSECRET"), "--access-key-id: not an AWS access key id"),
    (("--access-key-id", "AKIAIOSFODNN7EXAMPLE"), "AWS's documentation example key"),
    (("--access-key-id", "AKIAQYLPMN5HHHFPZAM2", "--trail-bucket", "https://example.com/logs"),
     "--trail-bucket: 'https://example.com/logs' is not an S3 location"),
    (("--access-key-id", "AKIAQYLPMN5HHHFPZAM2", "--days", "200"), "--days: 200 days reach beyond the 90 days"),
])
def test_bad_input_is_one_line_and_exit_2_without_repeating_the_value(aws, out_dir, capsys, args, says):
    result = run_cli(capsys, "incident", "--out", str(out_dir), *args)
    assert result.code == 2 and says in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzSECRET" not in result.stderr
    assert not out_dir.exists()


def test_a_window_of_no_day_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exited:
        run_cli(capsys, "incident", "--access-key-id", "AKIAQYLPMN5HHHFPZAM2", "--days", "0")
    assert exited.value.code == 2 and "at least one day" in capsys.readouterr().err


def test_a_missing_trail_bucket_is_bad_input(leaked, out_dir, capsys):
    key, _created = leaked
    result = investigate(capsys, key.key_id, out_dir, "--trail-bucket", "s3://no-such-bucket/logs", "--region",
                         "us-east-1")
    assert result.code == 2 and "--trail-bucket: the trail bucket no-such-bucket cannot be found" in result.stderr


def test_unreadable_history_is_exit_3_never_a_clean_report(aws, out_dir, capsys, monkeypatch):
    planted = seed_secrets("us-east-1")
    with api_calls(monkeypatch, deny={"LookupEvents": "AccessDeniedException"}):
        result = investigate(capsys, planted.key_id, out_dir, "--region", "us-east-1")
    assert result.code == 3, result.stderr
    incident = load(out_dir)
    assert incident["verdict"] == "incomplete"
    assert any("could not be read" in line and "AccessDeniedException" in line for line in incident["unread"])


def test_a_key_used_only_as_its_owner_uses_it_is_exit_0(aws, out_dir, capsys):
    planted = seed_secrets("us-east-1")
    account = boto3.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
    ci = Caller(account, "ci-deployer", planted.key_id, story.CI_ADDRESS, story.CI_AGENT)
    now = datetime.now(UTC)
    seed_history([record(ci, "GetCallerIdentity", source="sts", region="us-east-1", when=now - timedelta(days=d),
                         read_only=True) for d in (30, 20, 10)])

    result = investigate(capsys, planted.key_id, out_dir)  # every region enabled for the account

    assert result.code == 0, result.stderr
    incident = load(out_dir)
    assert incident["verdict"] == "clean" and incident["activity"]["event_count"] == 3
    assert len(incident["regions"]) > 10 and "cn-north-1" not in incident["regions"], "the key's partition only"
    assert "Nothing the key did in the last 90 days is flagged" in (out_dir / "incident.html").read_text()


def test_an_earlier_incident_pack_is_replaced_only_with_overwrite(aws, out_dir, capsys):
    """A responder's earlier pack is evidence too: a second run into it is refused, naming that pack's run, and
    replaces it only when asked to."""
    planted = seed_secrets("us-east-1")
    first = investigate(capsys, planted.key_id, out_dir, "--region", "us-east-1")
    assert first.code == 0, first.stderr
    run_id = load(out_dir)["run"]["id"]

    again = investigate(capsys, planted.key_id, out_dir, "--region", "us-east-1")
    assert again.code == 2 and len(again.stderr.strip().splitlines()) == 1, again.stderr
    assert "already holds a pack" in again.stderr and run_id in again.stderr and "--overwrite" in again.stderr
    assert load(out_dir)["run"]["id"] == run_id, "the refused run changed nothing"

    replaced = investigate(capsys, planted.key_id, out_dir, "--region", "us-east-1", "--overwrite")
    assert replaced.code == 0, replaced.stderr
    assert load(out_dir)["run"]["id"] != run_id
    assert run_cli(capsys, "verify", str(out_dir)).code == 0


def test_the_verdict_is_clean_only_when_everything_was_read_and_nothing_is_flagged():
    from auditpack.evaluate.incident import verdict
    from auditpack.leak import KeyActivity, RegionGap, Verdict

    read = KeyActivity(key="AKIA…ZAM2", window_days=90)
    gap = read.model_copy(update={"unread": [RegionGap(region="eu-west-1", error_code="AccessDenied")]})
    flagged = gap.model_copy(update={"flagged_count": 1})
    assert verdict([read], []) is Verdict.CLEAN
    assert verdict([read, gap], []) is Verdict.INCOMPLETE
    assert verdict([read], ["the key's user could not be read"]) is Verdict.INCOMPLETE
    assert verdict([flagged], ["anything"]) is Verdict.FLAGGED, "flagged activity is the news, read or not"


@pytest.mark.parametrize("clock", ["00:05", "02:13", "02:15", "13:59", "23:59"])
def test_the_demo_story_is_as_many_days_old_at_any_time_of_day_it_is_told(clock):
    """The demo says the bot came "3 days ago"; before 02:14 in the morning it once read "2 days ago"."""
    from freezegun import freeze_time

    with freeze_time(f"2026-03-10 {clock}:00+00:00"):
        now = datetime.now(UTC)
        for days, hour, minute in ((3, 2, 14), (95, 14, 2), (14, 9, 0)):
            when = story._at(days, hour, minute)
            assert (now - when).days == days and (when.hour, when.minute) == (hour, minute)
