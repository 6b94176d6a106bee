"""The detection engine: our rules, the allow-list, user data decoding and the Kingfisher adapter."""

from __future__ import annotations

import base64
import gzip
import os
import stat
import sys
import tempfile
from pathlib import Path

import pytest

from auditpack.resources.secret_source import Candidate, Category
from auditpack.resources.userdata import decode_user_data
from auditpack.secrets import kingfisher
from auditpack.secrets.analysis import SecretJudging, analyze_secrets
from auditpack.secrets.engine import detect
from auditpack.secrets.fingerprint import Fingerprinter
from tests.helpers import inventory_of

FP = Fingerprinter(b"k" * 32)
SECRET = "Zx9Kp2Lm4Nq6Rs8Tu0Vw1Xy3Za5Bc7De9Fg2Hj4K"


def one(value: str, name: str | None = None, script: bool = False):
    return detect([Candidate(field="f", value=value, name=name, script=script)], FP)[0]


def test_a_lone_access_key_id_and_a_lone_secret_key_are_found_without_kingfisher():
    assert [d.category for d in one("AKIA2E3F4G5H6J7K2L3M", name="CONFIG")] == [Category.AWS_ACCESS_KEY_ID]
    found = one(SECRET, name="AWS_SECRET_ACCESS_KEY")
    assert [d.kind for d in found] == ["an AWS secret access key"]
    assert found[0].masked == "Zx9K…Hj4K" and found[0].fingerprint == FP(SECRET)


@pytest.mark.parametrize(("value", "name", "script", "kind"), [
    (SECRET, "VALUE", False, "a credential"),  # 40 characters, nothing says AWS
    (SECRET, "UPLOAD_CREDENTIAL", False, "a credential"),
    (SECRET, "S3_SECRET", False, "an AWS secret access key"),
    (SECRET, "secretAccessKey", False, "an AWS secret access key"),
    (f"export AWS_SECRET_ACCESS_KEY={SECRET}", None, True, "an AWS secret access key"),
    (f"export UPLOAD_TOKEN={SECRET}", None, True, "a credential"),
])
def test_forty_characters_are_an_aws_secret_key_only_when_a_name_or_the_text_says_so(value, name, script, kind):
    assert {d.kind for d in one(value, name=name, script=script)} == {kind}


def test_forty_characters_beside_an_access_key_id_in_the_same_resource_are_its_secret():
    from auditpack.resources.awslambda import LambdaFunction

    fn = LambdaFunction(arn="arn:aws:lambda:us-east-1:1:function:f", name="f", account="1", region="us-east-1",
                        environments={"$LATEST": {"KEY": "AKIA2E3F4G5H6J7K2L3M", "VALUE": SECRET}})
    inventory = inventory_of(types={"lambda.functions": [fn]})
    analyze_secrets(inventory, fingerprint_key=lambda: b"k" * 32, scanner=lambda values: [])
    kinds = {d.field: d.kind for d in inventory.verdicts[("lambda.functions", fn.arn)].detections}
    assert kinds == {"environment variable KEY": "an AWS access key id",
                     "environment variable VALUE": "an AWS secret access key"}


@pytest.mark.parametrize(("line", "secret"), [
    ("echo 'admin:Adm1n-Pass-2024' | chpasswd", "Adm1n-Pass-2024"),
    ("echo 'R00tPassw0rd!' | passwd --stdin root", "R00tPassw0rd!"),
    ("net user svc Sup3rS3cret! /add", "Sup3rS3cret!"),
    ('$p = ConvertTo-SecureString "P@ss-Win-99" -AsPlainText -Force', "P@ss-Win-99"),
    ("aws rds create-db-instance --master-user-password 'Rds-Master-Pw-2024'", "Rds-Master-Pw-2024"),
    ("openssl pkcs12 -export -passout pass:P12Export!Pw", "P12Export!Pw"),
    ("kubectl create secret generic db --from-literal=password=K8sLiteralPw1", "K8sLiteralPw1"),
    ('{"db": {"password": "JsonInScript-Pw1"}}', "JsonInScript-Pw1"),
])
def test_command_lines_and_config_lines_that_set_passwords(line, secret):
    assert secret in {d.secret for d in one(line, script=True)}


@pytest.mark.parametrize("line", [
    "useradd -m -p '$6$rounds=5000$saltsalt$Jq6lM0b3s9pKx1Zq2Vw3Er4Ty5Ui6Op7' app",
    "net user svc * /add",
    'echo "$DB_PASSWORD" | passwd --stdin app',
    "vault login -method=aws role=app",
    'aws secretsmanager create-secret --name app --secret-string file://secret.json',
])
def test_command_lines_that_take_passwords_from_elsewhere_are_not_findings(line):
    assert one(line, script=True) == []


@pytest.mark.parametrize(("value", "kind"), [
    ("https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/a1B2c3D4e5F6g7H8i9J0k1L2", "a Slack webhook URL"),
    ("https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ/sendMessage", "a Telegram bot token"),
    ("glpat-xYz12AbCdEfGhIjKlMn3", "a GitLab token"),
    ("https://ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789@github.com/org/repo.git", "a token in a URL"),
])
def test_vendor_tokens_and_webhook_urls_need_no_name(value, kind):
    assert kind in {d.kind for d in one(value, name="SETTING")}


def test_an_authorization_header_yields_its_token_not_its_scheme():
    [found] = one("Bearer 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b", name="Authorization")
    assert found.secret == "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"


def test_documentation_example_keys_are_informational():
    found = one("AKIAIOSFODNN7EXAMPLE", name="AWS_ACCESS_KEY_ID")
    assert found and all(d.informational for d in found)


@pytest.mark.parametrize("value", [
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbC", "{{resolve:secretsmanager:db}}",
    "{{resolve:ssm-secure:/db/pw}}", "${DB_PASSWORD}", "$(aws secretsmanager get-secret-value --secret-id x)",
    "changeme", "<your-key>", "REPLACE_ME", "****", "AQICAHh" + "A" * 80, "ssh-rsa AAAAB3Nza ops@x",
])
def test_references_and_placeholders_are_never_findings(value):
    assert one(value, name="DB_PASSWORD") == []


def test_names_that_describe_a_secret_are_not_secrets():
    for name in ("SECRET_ARN", "TOKEN_URL", "PASSWORD_MIN_LENGTH", "API_KEY_ID", "SECRET_NAME"):
        assert one("prod-value-123", name=name) == [], name


def test_user_data_is_decoded_from_base64_and_gzip_and_read_by_line():
    script = f"#!/bin/bash\nexport AWS_SECRET_ACCESS_KEY={SECRET}\nsshpass -p Hunter2-pass ssh h\n"
    encoded = base64.b64encode(gzip.compress(script.encode())).decode()
    text = decode_user_data(encoded)
    assert text == script
    found = one(text, script=True)
    assert {(d.field, d.kind) for d in found} == {
        ("f line 2", "an AWS secret access key"), ("f line 3", "a password on a command line")}


def test_kingfisher_finds_vendor_tokens_and_leaves_no_file_behind(monkeypatch, tmp_path):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    hits = kingfisher.scan_values(["sk_live_4eC39HqLyjWDarjtT1zdp7dc9a8b7c6d5e4f", "nothing to see"])
    assert [(h.index, h.rule_id) for h in hits] == [(0, "betterleaks.stripe-access-token")]
    assert list(tmp_path.iterdir()) == [], "the values folder must be deleted"


def test_kingfisher_failure_raises_never_reads_as_clean(monkeypatch, tmp_path):
    fake = tmp_path / "kingfisher"
    fake.write_text("#!/bin/sh\necho broken >&2\nexit 2\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(kingfisher, "binary", lambda: fake)
    with pytest.raises(kingfisher.DetectorError, match="code 2"):
        kingfisher.scan_values(["x"])


def test_kingfisher_missing_is_a_detector_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "kingfisher", None)  # the kingfisher-bin package is not installed
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(kingfisher.DetectorError, match="not installed"):
        kingfisher.binary()


def test_rule_cache_lives_under_the_users_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert kingfisher.rule_cache_dir() == tmp_path / "auditpack" / "kingfisher-2.14.0"


def test_a_detector_failure_marks_every_source_resource(tmp_path):
    from auditpack.resources.awslambda import LambdaFunction

    fn = LambdaFunction(arn="arn:aws:lambda:us-east-1:123456789012:function:f", name="f", account="123456789012",
                        region="us-east-1", environments={"$LATEST": {"DB_PASSWORD": "Hunter2-pass"}})
    inventory = inventory_of(types={"lambda.functions": [fn]})

    def broken(values):
        raise kingfisher.DetectorError("Kingfisher exited with code 2")

    analyze_secrets(inventory, tmp_path / "key", scanner=broken)
    assert inventory.verdicts[("lambda.functions", fn.arn)].error == \
        "the secret detector failed: Kingfisher exited with code 2"
    assert os.stat(tmp_path / "key").st_mode & 0o777 == 0o600


def test_a_source_collected_after_an_early_start_is_still_judged(tmp_path):
    """A source that arrives after the detector started (``finish`` without a milestone) is judged at the end."""
    from auditpack.resources.awslambda import LambdaFunction

    def function(name: str, region: str) -> LambdaFunction:
        return LambdaFunction(arn=f"arn:aws:lambda:{region}:123456789012:function:{name}", name=name,
                              account="123456789012", region=region,
                              environments={"$LATEST": {"DB_PASSWORD": f"{name}-Hunter2-pass"}})

    read: list[list[str]] = []

    def scanner(values):
        read.append(sorted(values))
        return []

    inventory = inventory_of(types={"lambda.functions": [function("early", "us-east-1")]})
    judging = SecretJudging(tmp_path / "key", scanner)
    judging.start(inventory)
    inventory.add("lambda.functions", "123456789012", "us-west-2", [function("late", "us-west-2")])
    judging.finish(inventory)
    assert read == [["early-Hunter2-pass"], ["late-Hunter2-pass"]]
    assert {f.name: [d.kind for d in inventory.verdicts[("lambda.functions", f.arn)].detections]
            for f in inventory.all("lambda.functions")} == {
        "early": ["a password"], "late": ["a password"]}


def test_detections_never_dump_or_show_the_raw_value():
    (found,) = one(SECRET, name="AWS_SECRET_ACCESS_KEY")
    assert SECRET not in found.model_dump_json() and SECRET not in repr(found)
    assert found.secret == SECRET  # kept in memory for the key owner join only


def test_kingfisher_flags_are_accepted_by_the_pinned_version():
    import subprocess

    help_text = subprocess.run([str(kingfisher.binary()), "scan", "--help"], capture_output=True, text=True).stdout
    for flag in kingfisher.FLAGS:
        if flag.startswith("--"):
            assert flag in help_text, flag
    version = subprocess.run([str(kingfisher.binary()), "--version"], capture_output=True, text=True).stdout
    assert kingfisher.PINNED_VERSION in version
    assert Path(kingfisher.binary()).is_file()


def test_packed_values_map_hits_back_to_the_right_value_and_line():
    token = "sk_live_4eC39HqLyjWDarjtT1zdp7dc9a8b7c6d5e4f"
    values = ["line one\nline two\nline three"] * 150
    values[0] = f"first\n{token}"
    values[120] = f"a\nb\nc\n{token}"
    values[149] = token
    hits = kingfisher.scan_values(values)
    assert sorted((h.index, h.line) for h in hits) == [(0, 2), (120, 4), (149, 1)]


def test_a_kingfisher_only_detection_masks_and_fingerprints_the_whole_token():
    token = "dapi0a1b2c3d4e5f60718293a4b5c6d7e8f9"  # a vendor our own rules do not know
    (found,) = one(f'token = "{token}"', name="CONFIG")
    assert found.detector == "kingfisher:betterleaks.databricks-api-token"
    assert found.kind == "a databricks api token"
    assert (found.masked, found.fingerprint) == ("dapi…e8f9", FP(token))


@pytest.mark.parametrize(("value", "name", "script", "found"), [
    ('{"db": {"user": "app", "password": "3uYEIi75qB4sA9"}}', "CONFIG_JSON", False, ["3uYEIi75qB4sA9"]),
    ('[{"name": "svc", "api_key": "t2PoPUtg3SUunWZTRTpysCW9"}]', "SETTINGS", False, ["t2PoPUtg3SUunWZTRTpysCW9"]),
    ('{"password": "${DB_PASSWORD}", "password_file": "/run/secrets/db"}', "CONFIG_JSON", False, []),
    ('{"keys":[{"kty":"RSA","n":"G632IeppHoRTAzHJepquXKvFmgYOb8cBdum7dQslr57Qqa","e":"AQAB"}]}', "JWKS", False, []),
    ('{"password": "3uYEIi75qB4sA9"', "BROKEN_JSON", False, []),
    ("alias/signing", "SIGNING_KEY_ALIAS", False, []),
    ("#!/bin/bash\nhtpasswd -b -c /etc/nginx/.htpasswd admin cy0rNoJjSRbW\n", None, True, ["cy0rNoJjSRbW"]),
    ("#!/bin/bash\nhtpasswd -nbB admin Zq81mVtXe2\n", None, True, ["Zq81mVtXe2"]),
    ("#!/bin/bash\nhtpasswd -c /etc/nginx/.htpasswd admin\n", None, True, []),  # asks for the password
    ('#!/bin/bash\nhtpasswd -bB /etc/.htpasswd admin "$ADMIN_PASS"\n', None, True, []),
    ("#!/bin/bash\necho '38sVzAGT5XolHA' | docker login -u ci --password-stdin\n", None, True, ["38sVzAGT5XolHA"]),
    ('#!/bin/bash\necho "$REGISTRY_TOKEN" | docker login -u ci --password-stdin reg.example.com\n', None, True, []),
    ("#!/bin/bash\ncat /run/secrets/pw | docker login -u ci --password-stdin\n", None, True, []),
])
def test_rules_for_json_documents_htpasswd_and_piped_passwords(value, name, script, found):
    from auditpack.secrets import rules

    assert [hit.secret for _, hit in rules.own_hits(value, name, script)] == found
