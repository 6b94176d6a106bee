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
    r"^(arn:aws[\w-]*:|\{\{resolve:|\{\{ssm(?:-secure)?:|\$\{|\$\(|\$[A-Za-z_]|%\{|%\(|#\{|ssm:|secretsmanager:|vault:|"
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
# crypt(3) hashes ($6$salt$hash): what useradd -p and shadow files take; a hash, not the password.
CRYPT_HASH = re.compile(r"^\$(?:1|2[abxy]?|5|6|y|gy|argon2(?:id|i|d))\$")
# Code that reads a value from elsewhere: get_secret("db"), os.environ["DB"], process.env.DB, settings.DB.
CODE_REFERENCE = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*\s*[(\[]"
                            r"|^(?:process\.env|os\.environ|import\.meta\.env)\.")
KMS_CIPHERTEXT = re.compile(r"^AQ[IE]C?AH[A-Za-z0-9+/=]{40,}$|^AQICAH[A-Za-z0-9+/=]+$")
PUBLIC_MATERIAL = re.compile(
    r"^(ssh-(rsa|ed25519|dss) AAAA|ecdsa-sha2-\S+ AAAA|-----BEGIN (PUBLIC KEY|CERTIFICATE|RSA PUBLIC KEY|"
    r"SSH2 PUBLIC KEY|PGP PUBLIC KEY BLOCK)-----)"
)
HEX = re.compile(r"^[0-9a-fA-F]+$")

URL_CREDENTIAL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://([^\s/:@'\"]*):([^\s@/'\"]+)@[\w.-]+")
# A token as the whole user part (https://ghp_...@github.com/org/repo): long and random, not a user name.
URL_TOKEN_USER = re.compile(r"\bhttps?://([A-Za-z0-9_\-]{20,})@[\w.-]+")
# Webhook URLs whose path (or key) is the credential: whoever has the URL can post as the integration.
WEBHOOKS = [
    ("a Slack webhook URL", re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9_/-]{20,})")),
    ("a Discord webhook URL", re.compile(r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/(\d+/[\w-]{30,})")),
    ("a Microsoft Teams webhook URL", re.compile(r"https://[\w-]+\.webhook\.office\.com/webhookb2/([^\s'\"<>]{20,})")),
    ("a Telegram bot token", re.compile(r"https://api\.telegram\.org/bot(\d{6,}:[\w-]{30,})")),
    ("a Google Chat webhook URL", re.compile(r"https://chat\.googleapis\.com/v1/spaces/[^\s'\"?]+\?([^\s'\"<>]*key=[^\s'\"<>]+)")),
    ("a Zapier webhook URL", re.compile(r"https://hooks\.zapier\.com/hooks/catch/(\d+/[A-Za-z0-9]{6,})")),
    ("an IFTTT webhook key", re.compile(r"https://maker\.ifttt\.com/trigger/[^/\s]+/with/key/([\w-]{16,})")),
]
# Vendor tokens by their documented prefixes: structured enough to need no name around them.
VENDOR_TOKENS = [
    ("a GitHub token", re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b")),
    ("a GitLab token", re.compile(r"\b(glpat-[A-Za-z0-9_-]{20,})")),
    ("a Slack token", re.compile(r"\b(xox[abposr]-[A-Za-z0-9-]{10,})")),
    ("a Stripe secret key", re.compile(r"\b((?:sk|rk)_live_[A-Za-z0-9]{20,})")),
    ("a SendGrid API key", re.compile(r"\b(SG\.[\w-]{16,32}\.[\w-]{16,64})")),
    ("a Google API key", re.compile(r"\b(AIza[0-9A-Za-z_-]{35})")),
    ("an npm token", re.compile(r"\b(npm_[A-Za-z0-9]{36})\b")),
    ("a PyPI token", re.compile(r"\b(pypi-AgE[A-Za-z0-9_-]{50,})")),
    ("an OpenAI API key", re.compile(r"\b(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}"
                                     r"|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})")),
    ("an Anthropic API key", re.compile(r"\b(sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,})")),
    ("a Twilio API key", re.compile(r"\b(SK[0-9a-f]{32})\b")),
    ("a HashiCorp Vault token", re.compile(r"\b(hvs\.[A-Za-z0-9_-]{24,})")),
    ("a DigitalOcean token", re.compile(r"\b(do[pro]_v1_[a-f0-9]{64})\b")),
    ("a Shopify access token", re.compile(r"\b(shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})\b")),
    ("a Mailgun API key", re.compile(r"\b(key-[0-9a-f]{32})\b")),
    ("a Postman API key", re.compile(r"\b(PMAK-[0-9a-f]{24}-[0-9a-f]{34})\b")),
]
AUTH_HEADER_NAME = re.compile(r"^(?:proxy[-_])?authori[sz]ation$", re.IGNORECASE)
AUTH_SCHEME = re.compile(r"^(?:Bearer|Basic|Token|token|Digest)\s+(\S{8,})$")
AUTH_HEADER_IN_TEXT = re.compile(r"(?i)\bauthori[sz]ation['\"]?\s*:\s*['\"]?(?:bearer|basic|token)\s+"
                                 r"([A-Za-z0-9._~+/=-]{8,})")
PRIVATE_KEY_BLOCK = re.compile(r"-----BEGIN ((?:RSA |DSA |EC |OPENSSH |ENCRYPTED )?PRIVATE KEY)-----\s*\n"
                               r"(?:[A-Za-z-]+:[^\n]*\n)*\s*([A-Za-z0-9+/=]{16,})")
# An AWS secret access key is 40 base64 characters: only a name or text that says AWS makes it one.
AWS_SECRET_NAME = re.compile(r"AWS|(?:^|_)S3(?:_|$)|SECRET_?ACCESS|ACCESS_?SECRET|SECRET_?KEY")
AWS_SECRET_CONTEXT = re.compile(r"(?i)aws|secret[_-]?access|access[_-]?secret")
# "password": "...", 'token': '...', password = "..." as JSON, YAML, INI, code and config files write them.
QUOTED_PAIR = re.compile(r"""["']([A-Za-z_][\w.-]*)["']\s*[:=]\s*["']([^"'\s][^"']*)["']""")
NPMRC_AUTH = re.compile(r"(?:^|[\s:])(_authToken|_auth|_password)\s*=\s*(['\"]?)([^\s'\"]+)\2")
CONNECTION_PASSWORD = re.compile(r"(?i)(?:^|[;\s&?])(?:password|pwd)\s*=\s*([^;&'\"\s]+)")
ASSIGNMENT = re.compile(r"""(?:^|[\s;&|('"])(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*(["']?)([^\s"';]+)\2""")
_ARG = r"""(['"]?)([^\s'";&|]+)\1"""  # one argument, quoted or not (the value is the last group)
COMMAND_LINE = [
    ("aws configure", re.compile(r"aws\s+configure\s+set\s+(?:\S+\.)?(aws_secret_access_key|aws_session_token)"
                                 r"\s+([^\s;&|]+)")),
    ("mysql -p", re.compile(r"\bmysql(?:dump|admin)?\b[^\n;|&]*?\s-p(?!\s)([^\s;&|]+)")),
    ("password option", re.compile(r"(?:^|\s)--(?:[a-z0-9]+-)*(?:password|passwd|secret-string|secret-key|api-key|"
                                   r"auth-token|access-token|client-secret|token)(?:=|\s+)" + _ARG)),
    ("docker login -p", re.compile(r"\bdocker\s+login\b[^\n;|&]*?\s-p\s+([^\s;&|]+)")),
    ("curl -u", re.compile(r"\bcurl\b[^\n;|&]*?\s(?:-u|--user)\s+['\"]?[^:\s'\"]+:([^\s'\";&|]+)")),
    ("sshpass -p", re.compile(r"\bsshpass\s+-p\s*['\"]?([^\s'\";&|]+)")),
    ("redis-cli -a", re.compile(r"\bredis-cli\b[^\n;|&]*?\s-a\s+['\"]?([^\s'\";&|]+)")),
    ("password piped to a command", re.compile(
        r"\b(?:echo|printf)\s+(?:-[a-z]+\s+)?(['\"]?)([^\s'\"|;&]+)\1\s*\|\s*[^\n|;&]*"
        r"(?:--password-stdin|--with-token|\bpasswd\s+--stdin|\bsudo\s+(?:-\w+\s+)*-S)\b")),
    ("chpasswd", re.compile(r"\b(?:echo|printf)\s+(?:-[a-z]+\s+)?(['\"]?)[^\s:'\"]+:([^\s'\"|;&]+)\1\s*\|\s*"
                            r"(?:sudo\s+)?chpasswd\b")),
    ("chpasswd", re.compile(r"\bchpasswd\s*<<<\s*(['\"]?)[^\s:'\"]+:([^\s'\";&|]+)\1")),
    ("useradd -p", re.compile(r"\buser(?:add|mod)\b[^\n;|&]*?\s(?:-p|--password)\s+" + _ARG)),
    ("net user", re.compile(r"\bnet\s+user\s+\S+\s+(['\"]?)([^\s'\"/*][^\s'\"]*)\1(?=\s+/|\s*$)", re.IGNORECASE)),
    ("ConvertTo-SecureString", re.compile(
        r"ConvertTo-SecureString\s+(?:-String\s+)?(['\"])([^'\"]+)\1[^\n]*-AsPlainText", re.IGNORECASE)),
    ("mysqladmin password", re.compile(r"\bmysqladmin\b[^\n;|&]*?\spassword\s+" + _ARG)),
    ("rabbitmqctl", re.compile(r"\brabbitmqctl\s+(?:add_user|change_password)\s+\S+\s+" + _ARG)),
    ("ldap -w", re.compile(r"\bldap\w+\b[^\n;|&]*?\s-w\s+" + _ARG)),
    ("mongo -p", re.compile(r"\bmongo\w*\b[^\n;|&]*?\s-p\s+(['\"]?)([^\s'\";&|-][^\s'\";&|]*)\1")),
    ("sqlcmd -P", re.compile(r"\b(?:sqlcmd|bcp|osql)\b[^\n;|&]*?\s-P\s*" + _ARG)),
    ("openssl pass:", re.compile(r"-pass(?:in|out)?\s+pass:([^\s'\";&|]+)")),
    ("keytool -storepass", re.compile(r"\s-(?:store|key|src|dest|srcstore|deststore)pass\s+" + _ARG)),
    ("vault login", re.compile(r"\bvault\s+login\s+(?:-\S+\s+)*(?:token=)?(['\"]?)([^\s'\";&|$=-][^\s'\";&|=]*)\1"
                               r"(?=[\s;&|]|$)")),
    ("az login -p", re.compile(r"\baz\s+login\b[^\n;|&]*?\s-p\s+" + _ARG)),
    ("lftp -u", re.compile(r"\blftp\b[^\n;|&]*?\s-u\s+[^,\s]+,([^\s'\";&|]+)")),
    ("curl -H", re.compile(r"""\s-H\s+(['"])X-[A-Za-z-]*(?:Token|Key|Secret):\s*([^'"\s]+)\1""", re.IGNORECASE)),
]
# kubectl create secret ... --from-literal=NAME=VALUE: judged by NAME like any assignment.
FROM_LITERAL = re.compile(r"--from-literal=([A-Za-z0-9_.-]+)=(['\"]?)([^\s'\";&|]+)\2")
# htpasswd -b[c...] FILE USER PASSWORD, or htpasswd -nb[...] USER PASSWORD (prints instead of writing a file).
HTPASSWD = re.compile(r"\bhtpasswd((?:\s+-[A-Za-z]+)+)((?:\s+[^\s;&|-][^\s;&|]*){2,3})")


FORTY_CHARACTERS = "forty-character-credential"  # an AWS secret key's shape without AWS around it


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
        or bool(CRYPT_HASH.match(v))
        or bool(CODE_REFERENCE.match(v))
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
    upper = _words(name)
    return bool(SECRET_NAME.search(upper)) and not NOT_SECRET_NAME.search(upper)


def _words(name: str) -> str:
    """``dbPassword``, ``DB-PASSWORD`` and ``db.password`` all as ``DB_PASSWORD``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper().replace("-", "_").replace(".", "_")


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
    """AWS access key ids anywhere; a 40-character secret key where its name or the text says AWS (or a key id
    stands beside it), otherwise, when it stands alone or under a credential name, a credential of unknown kind."""
    ids = ACCESS_KEY_ID.findall(text)
    for key_id in ids:
        yield Hit(key_id, Category.AWS_ACCESS_KEY_ID, "an AWS access key id", "aws-access-key-id")
    aws_named = bool(AWS_SECRET_NAME.search(_words(name))) if name else False
    stripped = text.strip().strip("'\"")
    for candidate in SECRET_KEY.findall(text):
        if not looks_like_secret_key(candidate):
            continue
        if ids or aws_named or AWS_SECRET_CONTEXT.search(text):
            yield Hit(candidate, Category.AWS_SECRET_ACCESS_KEY, "an AWS secret access key", "aws-secret-access-key")
        elif candidate == stripped or secret_name(name) or re.search(r"(?i)secret|token|passw|credential", text):
            yield Hit(candidate, Category.CREDENTIAL, "a credential", FORTY_CHARACTERS)


def _credential(secret: str, kind: str, rule: str) -> Iterator[Hit]:
    if not is_allowed(secret) and len(secret) >= 4:
        yield Hit(secret, Category.CREDENTIAL, kind, rule)


def url_hits(text: str) -> Iterator[Hit]:
    """Credentials in URLs and connection strings, tokens in webhook URLs and Authorization headers, vendor tokens
    by their prefixes, and private keys: what needs no variable name to be recognised."""
    for match in URL_CREDENTIAL.finditer(text):
        yield from _credential(match.group(2), "a password in a URL", "url-credential")
    for match in URL_TOKEN_USER.finditer(text):
        if entropy(match.group(1)) > 3.5:
            yield from _credential(match.group(1), "a token in a URL", "url-token")
    for match in CONNECTION_PASSWORD.finditer(text):
        yield from _credential(match.group(1), "a password in a connection string", "connection-string")
    for kind, pattern in WEBHOOKS:
        for match in pattern.finditer(text):
            yield from _credential(match.group(1), kind, "webhook-url")
    for kind, pattern in VENDOR_TOKENS:
        for match in pattern.finditer(text):
            if entropy(match.group(1)) > 3.0:  # glpat-xxxxxxxxxxxxxxxxxxxx is a placeholder
                yield from _credential(match.group(1), kind, "vendor-token")
    for match in AUTH_HEADER_IN_TEXT.finditer(text):
        yield from _credential(match.group(1), "a token in an Authorization header", "authorization-header")


def private_key_hits(value: str) -> Iterator[tuple[int, Hit]]:
    """PEM private keys, with the line their block starts on; the secret is the key's first line of base64."""
    for match in PRIVATE_KEY_BLOCK.finditer(value):
        line = value.count("\n", 0, match.start()) + 1
        yield line, Hit(match.group(2), Category.CREDENTIAL, "a private key", "private-key")


def named_hits(name: str | None, value: str) -> Iterator[Hit]:
    """A value under a credential-like name, unless it is a reference, a placeholder or not secret-shaped."""
    scheme = AUTH_SCHEME.match(value.strip()) if name and AUTH_HEADER_NAME.match(name) else None
    if scheme:
        yield from _credential(scheme.group(1), "a token in an Authorization header", "authorization-header")
        return
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
            yield from _credential(secret, "a password on a command line", _rule_id(rule))
    for match in COMMAND_LINE[0][1].finditer(line):
        secret = match.group(2)
        if not is_allowed(secret):
            category = Category.AWS_SECRET_ACCESS_KEY if "secret" in match.group(1) else Category.CREDENTIAL
            kind = "an AWS secret access key" if category.is_aws_key else "an AWS session token"
            yield Hit(secret, category, kind, "aws-configure-set")
    yield from htpasswd_hits(line)
    for match in ASSIGNMENT.finditer(line):
        yield from named_hits(match.group(1), match.group(3))
    for match in QUOTED_PAIR.finditer(line):
        yield from named_hits(match.group(1), match.group(2))
    for match in FROM_LITERAL.finditer(line):
        yield from named_hits(match.group(1), match.group(3))
    for match in NPMRC_AUTH.finditer(line):
        yield from _credential(match.group(3), "an npm registry token", "npmrc-auth")


def _rule_id(rule: str) -> str:
    return rule.replace(" ", "-")  # the detector's name in findings, kept as the first rules wrote it


def own_hits(value: str, name: str | None, script: bool) -> Iterator[tuple[int, Hit]]:
    """Every hit of our rules in a value, with its 1-based line (scripts) or 0 (a single value)."""
    if not script:
        yield from ((0, h) for h in aws_hits(value, name))
        yield from ((0, h) for h in url_hits(value))
        yield from ((0, h) for h in named_hits(name, value))
        yield from ((0, h) for h in json_hits(value))
        yield from ((0, h) for _line, h in private_key_hits(value))
        return
    lines = value.splitlines()
    for number, line in enumerate(lines, start=1):
        for hit in (*aws_hits(line), *url_hits(line), *script_hits(line)):
            yield number, hit
    if name and len(lines) == 1:  # a one-line script under a name (a document's string): judged by the name too
        yield from ((1, h) for h in named_hits(name, value))
    yield from private_key_hits(value)
