"""Our own detection layer, for what a general secret scanner misses in AWS configuration values.

Kingfisher finds vendor tokens with structure (Stripe, Slack, private keys) but not a lone AWS access key id,
a lone 40-character secret key, a password named only by its variable, or a password on a command line.
These rules cover exactly that, and the allow-list keeps references and placeholders from ever being
reported: a value that points at Secrets Manager is the good practice we want to see.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from auditpack.resources.secret_source import ACCESS_KEY_ID, Category

SECRET_KEY = re.compile(r"(?<![A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")

SECRET_NAME = re.compile(
    r"PASSWORD|PASSWD|PASSPHRASE|(?:^|_)PWD?(?:$|_)|(?:^|_)PASS(?:$|_)|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH_?KEY"
    r"|ACCESS_?KEY|SIGNING_?KEY|ENCRYPTION_?KEY|CLIENT_?KEY|MASTER_?KEY"
)
# Names that say the value is about a secret, not the secret itself.
NOT_SECRET_NAME = re.compile(
    r"(?:_|^)(ARN|ID|IDS|NAME|NAMES|PORT|URL|URI|ENDPOINT|HOST|PATH|FILE|DIR|REGION|TTL|EXPIRY|EXPIRES|LENGTH|"
    r"LEN|SIZE|TYPE|HEADER|PARAM|PARAMETER|KEY_ID|ENABLED|DISABLED|REQUIRED|VERSION|ROTATION|TIMEOUT|POLICY|"
    r"FORMAT|ALGORITHM|ALG|PREFIX|FIELD|COUNT|AGE|DAYS|HOURS|LIMIT|MODE|USER|USERNAME|LOCATION|STORE|PROVIDER|"
    r"SOURCE|REF|KMS|SSM|MIN|MAX|ISSUER|AUDIENCE|SCOPE|SCOPES|ALIAS)$"
)

REFERENCE = re.compile(
    r"^(arn:aws[\w-]*:|\{\{resolve:|\$\{|\$\(|\$[A-Za-z_]|%\{|%\(|#\{|ssm:|secretsmanager:|vault:|"
    r"/run/secrets/|/var/run/secrets/|file://|s3://|projects/[^/]+/secrets/|alias/)",
    re.IGNORECASE,
)
PLACEHOLDER = re.compile(
    r"^(<[^>]*>|\[[^\]]*\]|\*+|x{3,}|\.{3,}|-+|_+|changeme|change[-_ ]?me|changeit|replace[-_ ]?me|"
    r"replace[-_ ]?with[-_ ].*|todo|tbd|fixme|none|null|nil|undefined|empty|n/?a|false|true|yes|no|on|off|"
    r"enabled|disabled|secret|password|passwd|token|dummy|placeholder|example|sample|test|redacted|"
    r"your[-_ ].*|my[-_ ]?(secret|password|token|key)|insert[-_ ].*|set[-_ ]?me|default|required|optional|"
    r"notset|not[-_ ]set|unset|masked|hidden)$",
    re.IGNORECASE,
)
KMS_CIPHERTEXT = re.compile(r"^AQ[IE]C?AH[A-Za-z0-9+/=]{40,}$|^AQICAH[A-Za-z0-9+/=]+$")
PUBLIC_MATERIAL = re.compile(
    r"^(ssh-(rsa|ed25519|dss) AAAA|ecdsa-sha2-\S+ AAAA|-----BEGIN (PUBLIC KEY|CERTIFICATE|RSA PUBLIC KEY|"
    r"SSH2 PUBLIC KEY|PGP PUBLIC KEY BLOCK)-----)"
)
HEX = re.compile(r"^[0-9a-fA-F]+$")

URL_CREDENTIAL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://([^\s/:@'\"]*):([^\s@/'\"]+)@[\w.-]+")
CONNECTION_PASSWORD = re.compile(r"(?i)(?:^|[;\s])(?:password|pwd)\s*=\s*([^;'\"\s]+)")
ASSIGNMENT = re.compile(r"""(?:^|[\s;&|('"])(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*(["']?)([^\s"';]+)\2""")
COMMAND_LINE = [
    ("aws configure", re.compile(r"aws\s+configure\s+set\s+(?:\S+\.)?(aws_secret_access_key|aws_session_token)"
                                 r"\s+([^\s;&|]+)")),
    ("mysql -p", re.compile(r"\bmysql(?:dump|admin)?\b[^\n;|&]*?\s-p(?!\s)([^\s;&|]+)")),
    ("password option", re.compile(r"(?:^|\s)--password(?:=|\s+)([^\s;&|]+)")),
    ("docker login -p", re.compile(r"\bdocker\s+login\b[^\n;|&]*?\s-p\s+([^\s;&|]+)")),
    ("curl -u", re.compile(r"\bcurl\b[^\n;|&]*?\s(?:-u|--user)\s+['\"]?[^:\s'\"]+:([^\s'\";&|]+)")),
    ("sshpass -p", re.compile(r"\bsshpass\s+-p\s*['\"]?([^\s'\";&|]+)")),
    ("redis-cli -a", re.compile(r"\bredis-cli\b[^\n;|&]*?\s-a\s+['\"]?([^\s'\";&|]+)")),
    ("password piped to --password-stdin", re.compile(
        r"\b(?:echo|printf)\s+(?:-[a-z]+\s+)?(['\"]?)([^\s'\"|;&]+)\1\s*\|\s*[^\n|;&]*--password-stdin\b")),
]
# htpasswd -b[c...] FILE USER PASSWORD, or htpasswd -nb[...] USER PASSWORD (prints instead of writing a file).
HTPASSWD = re.compile(r"\bhtpasswd((?:\s+-[A-Za-z]+)+)((?:\s+[^\s;&|-][^\s;&|]*){2,3})")


@dataclass(frozen=True)
class Hit:
    """A secret our rules found: the exact substring, its category and a readable kind."""

    secret: str
    category: Category
    kind: str
    rule: str


def entropy(value: str) -> float:
    if not value:
        return 0.0
    counts = {c: value.count(c) for c in set(value)}
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def is_allowed(value: str) -> bool:
    """A reference, placeholder, ciphertext or public material: never a finding."""
    v = value.strip().strip("'\"")
    return (
        not v
        or bool(REFERENCE.match(v))
        or bool(PLACEHOLDER.match(v))
        or bool(KMS_CIPHERTEXT.match(v))
        or bool(PUBLIC_MATERIAL.match(v))
    )


def looks_like_secret_key(value: str) -> bool:
    """40 base64 characters that look random: upper, lower and digit, not hex."""
    return (
        len(value) == 40
        and not HEX.match(value)
        and any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() or c in "/+" for c in value)
        and entropy(value) > 4.0
    )


def secret_name(name: str | None) -> bool:
    """A variable name that says its value is a credential (``DB_PASSWORD``), not about one (``..._ARN``)."""
    if not name:
        return False
    upper = name.upper().replace("-", "_").replace(".", "_")
    return bool(SECRET_NAME.search(upper)) and not NOT_SECRET_NAME.search(upper)


def plausible_password(value: str) -> bool:
    """A value that could be a credential, as opposed to a flag, a number, a path or a sentence."""
    v = value.strip()
    if len(v) < 6 or is_allowed(v):
        return False
    if v.isdigit() and len(v) < 8:
        return False
    if " " in v and len(v.split()) > 3:  # prose, e.g. a description
        return False
    return not (re.match(r"^(https?://|/|\./|~/)", v) and not URL_CREDENTIAL.search(v))


def _kind_for_name(name: str) -> str:
    upper = name.upper()
    if "PRIVATE" in upper:
        return "a private key"
    if "PASS" in upper or re.search(r"(^|_)PWD?($|_)", upper):
        return "a password"
    if "TOKEN" in upper:
        return "a token"
    if re.search(r"API_?KEY", upper):
        return "an API key"
    if "SECRET" in upper:
        return "a secret"
    return "a credential"


def aws_hits(text: str, name: str | None = None) -> Iterator[Hit]:
    """AWS access key ids anywhere; secret keys alone, beside a key id, or under a name that says so."""
    ids = ACCESS_KEY_ID.findall(text)
    for key_id in ids:
        yield Hit(key_id, Category.AWS_ACCESS_KEY_ID, "an AWS access key id", "aws-access-key-id")
    upper_name = (name or "").upper()
    named_secret = "SECRET" in upper_name or "AWS" in upper_name
    stripped = text.strip().strip("'\"")
    for candidate in SECRET_KEY.findall(text):
        if not looks_like_secret_key(candidate):
            continue
        if candidate == stripped or ids or named_secret or re.search(r"(?i)secret|aws", text):
            yield Hit(candidate, Category.AWS_SECRET_ACCESS_KEY, "an AWS secret access key", "aws-secret-access-key")


def _credential(secret: str, kind: str, rule: str) -> Iterator[Hit]:
    if not is_allowed(secret) and len(secret) >= 4:
        yield Hit(secret, Category.CREDENTIAL, kind, rule)


def url_hits(text: str) -> Iterator[Hit]:
    for match in URL_CREDENTIAL.finditer(text):
        yield from _credential(match.group(2), "a password in a URL", "url-credential")
    for match in CONNECTION_PASSWORD.finditer(text):
        yield from _credential(match.group(1), "a password in a connection string", "connection-string")


def named_hits(name: str | None, value: str) -> Iterator[Hit]:
    """A value under a credential-like name, unless it is a reference, a placeholder or not secret-shaped."""
    if secret_name(name) and plausible_password(value) and not URL_CREDENTIAL.search(value) \
            and not PUBLIC_MATERIAL.match(value.strip()):
        yield Hit(value.strip(), Category.CREDENTIAL, _kind_for_name(name or ""), "named-credential")


def htpasswd_hits(line: str) -> Iterator[Hit]:
    """The password ``htpasswd -b`` takes as its last argument (``-n``: no file argument before the user)."""
    for match in HTPASSWD.finditer(line):
        flags = "".join(match.group(1).split()).replace("-", "")
        args = match.group(2).split()
        wanted = 2 if "n" in flags else 3
        if "b" in flags and len(args) >= wanted:
            yield from _credential(args[wanted - 1].strip("'\""), "a password on a command line", "htpasswd-b")


def json_hits(value: str) -> Iterator[Hit]:
    """Values under credential-like keys inside a JSON document (``{"db": {"password": "..."}}``)."""
    text = value.strip()
    if not text.startswith(("{", "[")):
        return
    try:
        document = json.loads(text)
    except ValueError:
        return
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                if isinstance(item, str):
                    yield from named_hits(str(key), item)
                elif isinstance(item, dict | list):
                    stack.append(item)
        elif isinstance(node, list):
            stack.extend(item for item in node if isinstance(item, dict | list))


def script_hits(line: str) -> Iterator[Hit]:
    """Credentials on one line of a shell script: assignments to secret-named variables and command options."""
    for rule, pattern in COMMAND_LINE:
        for match in pattern.finditer(line):
            secret = match.group(match.lastindex or 1)
            if rule == "aws configure":
                continue  # the value is reported by aws_hits; this rule only names it
            yield from _credential(secret, "a password on a command line", rule.replace(" ", "-"))
    for match in COMMAND_LINE[0][1].finditer(line):
        secret = match.group(2)
        if not is_allowed(secret):
            category = Category.AWS_SECRET_ACCESS_KEY if "secret" in match.group(1) else Category.CREDENTIAL
            kind = "an AWS secret access key" if category.is_aws_key else "an AWS session token"
            yield Hit(secret, category, kind, "aws-configure-set")
    yield from htpasswd_hits(line)
    for match in ASSIGNMENT.finditer(line):
        yield from named_hits(match.group(1), match.group(3))


def own_hits(value: str, name: str | None, script: bool) -> Iterator[tuple[int, Hit]]:
    """Every hit of our rules in a value, with its 1-based line (scripts) or 0 (a single value)."""
    if not script:
        yield from ((0, h) for h in aws_hits(value, name))
        yield from ((0, h) for h in url_hits(value))
        yield from ((0, h) for h in named_hits(name, value))
        yield from ((0, h) for h in json_hits(value))
        return
    for number, line in enumerate(value.splitlines(), start=1):
        for hit in (*aws_hits(line), *url_hits(line), *script_hits(line)):
            yield number, hit
