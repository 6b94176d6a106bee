"""Property-based tests: whatever a user writes in a control or config file, ``validate`` answers with exit 0 or
a one-line-per-problem exit 2, never a traceback; whatever secret a response carries under a sensitive key, the
evidence written never contains it.

Example counts stay modest (CI has two cores); hypothesis keeps failing examples in its database locally.
"""

from __future__ import annotations

import contextlib
import copy
import io
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditpack.cli import main
from auditpack.collect.evidence import EvidenceRecorder
from auditpack.collect.gate import Gate, collector_gate
from auditpack.collect.redaction import redact_tree, sensitive_fields
from auditpack.emulator.demo import DEMO_REGIONS, seed_sample_account
from auditpack.library.checks import load_checks
from auditpack.library.config import Config
from auditpack.library.controls import CONTROL_SCHEMA
from auditpack.resources.base import COLLECTORS, calls_allowed_by
from tests.secretsearch import PLANTERS, SECRET_ALPHABET, assert_never_written

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- any YAML, any config: exit 0 or 2, never a traceback ----------------------------------------------------

scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12) | st.dates()
           | st.datetimes())
keys = st.text(max_size=10) | st.integers(min_value=-5, max_value=5) | st.booleans()
documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(keys, inner, max_size=4), max_leaves=25)


def near(rule: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values shaped by a cerberus rule (so validation gets deep), mixed with arbitrary ones."""
    kind = rule.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    options: list[st.SearchStrategy[Any]] = [documents]
    for k in kinds:
        if k == "dict" and "schema" in rule:
            fields = {name: near(sub) for name, sub in rule["schema"].items()}
            options.append(st.fixed_dictionaries({}, optional={**fields, "unexpected": documents}))
        elif k == "dict":
            options.append(st.dictionaries(st.from_regex(r"[a-z0-9_]{1,20}", fullmatch=True) | keys,
                                           near(rule.get("valuesrules", {})), max_size=4))
        elif k == "list":
            options.append(st.lists(near(rule.get("schema", {})), max_size=3))
        elif k == "string" and "regex" in rule:
            options.append(st.from_regex(rule["regex"], fullmatch=True) | st.text(max_size=12))
        elif k == "string" and "allowed" in rule:
            options.append(st.sampled_from(rule["allowed"]))
        elif k == "integer":
            options.append(st.integers(min_value=rule.get("min", -10) - 2, max_value=rule.get("max", 10**6) + 2))
        elif k == "number":
            options.append(st.floats(min_value=-1, max_value=rule.get("max", 1000) + 1) | st.integers())
        elif k == "boolean":
            options.append(st.booleans())
        elif k == "date":
            options.append(st.dates())
    return st.one_of(*options)


def near_schema(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values shaped by a JSON Schema node of the config model (so validation gets deep), mixed with arbitrary
    ones."""
    if not isinstance(schema, dict):  # JSON Schema's "anything" (true)
        return documents
    if "$ref" in schema:
        return near_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    options: list[st.SearchStrategy[Any]] = [documents]
    for alternative in schema.get("anyOf", []):
        options.append(near_schema(alternative, defs))
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        fields = {name: near_schema(sub, defs) for name, sub in schema["properties"].items()}
        options.append(st.fixed_dictionaries({}, optional={**fields, "unexpected": documents}))
    elif kind == "object":
        options.append(st.dictionaries(st.from_regex(r"[a-z0-9_]{1,20}", fullmatch=True) | keys,
                                       near_schema(schema.get("additionalProperties", True), defs), max_size=4))
    elif kind == "array":
        options.append(st.lists(near_schema(schema.get("items", {}), defs), max_size=3))
    elif kind == "string":
        options.append(st.text(max_size=12) | st.dates().map(str) | st.sampled_from(["us-east-1", "123456789012"]))
    elif kind == "integer":
        low, high = schema.get("minimum", -10) - 2, schema.get("maximum", 10**6) + 2
        options.append(st.integers(min_value=low, max_value=high))
    elif kind == "number":
        options.append(st.floats(min_value=-1, max_value=schema.get("maximum", 1000) + 1) | st.integers())
    elif kind == "boolean":
        options.append(st.booleans())
    return st.one_of(*options)


CONFIG_JSON_SCHEMA = Config.model_json_schema()


def parameter_values() -> st.SearchStrategy[dict[str, Any]]:
    """The config's ``parameters`` with the names checks really declare, so each check's own schema runs."""
    names = sorted({name for spec in load_checks().values() for name in spec.params}) or ["none"]
    return st.dictionaries(st.sampled_from([*names, "not_a_parameter"]), scalars | documents, max_size=4)


config_documents = st.one_of(
    documents,
    st.fixed_dictionaries({}, optional={
        **{k: near_schema(v, CONFIG_JSON_SCHEMA.get("$defs", {}))
           for k, v in CONFIG_JSON_SCHEMA["properties"].items() if k != "path"},
        "parameters": parameter_values()}),
)
control_documents = st.one_of(
    documents,
    st.fixed_dictionaries({}, optional={k: near(v) for k, v in CONTROL_SCHEMA.items()}),
)
raw_texts = st.text(alphabet=st.sampled_from([*"ab:-[]{}#&*!|>'\"%@` \n\t,?0.", "\\", "\u00e9", "\ufeff"]),
                    max_size=60)


def validate(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["validate", *args])
    return code, err.getvalue()


def assert_clean_answer(code: int, stderr: str) -> None:
    assert code in (0, 2), (code, stderr)
    assert "Traceback" not in stderr
    if code == 2:
        assert stderr.startswith("auditpack: "), stderr


def as_yaml(document: Any) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


@FAST
@given(document=control_documents, name=st.sampled_from(["au-9.yaml", "x.yaml", "ia-5.7.yml"]))
def test_any_control_document_is_validated_without_a_traceback(document, name):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / name).write_text(as_yaml(document), encoding="utf-8")
        assert_clean_answer(*validate("--controls-dir", tmp))


@FAST
@given(document=config_documents)
def test_any_config_document_is_validated_without_a_traceback(document):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "auditpack.yaml"
        path.write_text(as_yaml(document), encoding="utf-8")
        assert_clean_answer(*validate("--config", str(path)))


@settings(max_examples=50, deadline=None)
@given(text=raw_texts | st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
       encoding=st.sampled_from(["utf-8", "latin-1"]))
def test_any_text_as_control_or_config_file_is_validated_without_a_traceback(text, encoding):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "au-9.yaml"
        path.write_bytes(text.encode(encoding, errors="replace"))
        assert_clean_answer(*validate("--controls-dir", tmp))
        assert_clean_answer(*validate("--config", str(path)))


def test_deeply_nested_documents_are_a_one_line_error(tmp_path):
    for depth in (2_000, 50_000):
        path = tmp_path / "auditpack.yaml"
        path.write_text("parameters: " + "[" * depth + "]" * depth)
        code, stderr = validate("--config", str(path))
        assert_clean_answer(code, stderr)
        assert code == 2


# --- planted secrets never reach an evidence file -------------------------------------------------------------

secret_values = st.text(alphabet=SECRET_ALPHABET, min_size=12, max_size=40).map(lambda s: f"PLANTED{s}")
field_names = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,11}", fullmatch=True)
# Name fields inside a sensitive value are kept readable by design (the variable's name, not its value).
NAME_KEYS = {"name", "Name", "type", "Type", "valueFrom", "ValueFrom"}


@st.composite
def planted_response(draw: st.DrawFn, sensitive: frozenset[str]) -> tuple[dict[str, Any], list[str]]:
    """A random response tree with secrets under sensitive keys at random depths, in the shapes AWS uses
    (a plain value, a map of variables, a list of name/value pairs)."""
    secrets: list[str] = []

    def secret_shape() -> Any:
        value = draw(secret_values)
        secrets.append(value)
        shape = draw(st.sampled_from(["plain", "map", "pairs", "nested"]))
        if shape == "plain":
            return value
        if shape == "map":
            return {draw(field_names): value, draw(field_names): draw(scalars)}
        if shape == "pairs":
            return [{"name": draw(field_names), "value": value}]
        return {"Inner": [{draw(field_names.filter(lambda k: k not in NAME_KEYS)): value}]}

    def tree(depth: int) -> Any:
        if depth == 0 or draw(st.booleans()):
            return draw(scalars)
        if draw(st.booleans()):
            return [tree(depth - 1) for _ in range(draw(st.integers(0, 3)))]
        node: dict[str, Any] = {}
        for _ in range(draw(st.integers(0, 3))):
            node[draw(field_names.filter(lambda k: k not in sensitive))] = tree(depth - 1)
        if draw(st.booleans()):
            node[draw(st.sampled_from(sorted(sensitive)))] = secret_shape()
        return node

    root = {"Items": [tree(3) for _ in range(draw(st.integers(1, 3)))]}
    root[draw(st.sampled_from(sorted(sensitive)))] = secret_shape()
    return root, secrets


extra_keys = st.lists(st.sampled_from(["Environment", "Parameters", "Outputs", "Token", "Credentials"]),
                      max_size=2, unique=True)
SENSITIVE = sensitive_fields()
REDACTING_COLLECTORS = sorted(spec.resource_type for spec in COLLECTORS.values() if spec.redacted_fields)


class AnswersWith:
    """A client whose every operation answers ``response``; the gate names operations by their API names."""

    def __init__(self, response: dict[str, Any]) -> None:
        self.meta = type("Meta", (), {"method_to_api_mapping": {}})()
        self._response = response

    def __getattr__(self, operation: str) -> Any:
        return lambda **params: copy.deepcopy(self._response)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), extra=extra_keys)
def test_secrets_under_sensitive_keys_never_reach_evidence_files(tmp_path_factory, data, extra):
    sensitive = SENSITIVE | frozenset(extra)
    response, secrets = data.draw(planted_response(sensitive))
    params, param_secrets = data.draw(planted_response(SENSITIVE))
    pack = tmp_path_factory.mktemp("pack")
    gate = Gate(account="123456789012", region="us-east-1", partition="aws",
                client_factory=lambda s, r: AnswersWith(response), recorder=EvidenceRecorder(pack),
                redacted=sensitive)
    ref = gate.call("lambda", "ListFunctions", **params).evidence
    assert (pack / ref).is_file()
    assert_never_written(secrets + param_secrets, pack)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), rtype=st.sampled_from(REDACTING_COLLECTORS))
def test_every_call_of_a_collector_that_declares_secrets_is_redacted(tmp_path_factory, data, rtype):
    """Redaction follows the declaration, not a list of operations: whatever the collector calls, and whichever
    declared field a response carries, the value never reaches its evidence."""
    spec = COLLECTORS[rtype]
    response, secrets = data.draw(planted_response(SENSITIVE))
    pack = tmp_path_factory.mktemp("pack")
    gate = collector_gate(spec, account="123456789012", region="us-east-1", partition="aws",
                          client_factory=lambda s, r: AnswersWith(response), recorder=EvidenceRecorder(pack))
    for permission in spec.permissions:
        for service, operation in calls_allowed_by(permission, spec.service):
            gate.call(service, operation)
    assert_never_written(secrets, pack)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_redact_tree_removes_every_planted_secret_and_keeps_the_structure(data):
    response, secrets = data.draw(planted_response(SENSITIVE))
    redacted = redact_tree(response, SENSITIVE)
    text = repr(redacted)
    for secret in secrets:
        assert secret not in text
    assert set(redacted) == set(response)


def test_secret_search_finds_escaped_forms(tmp_path):
    """The search itself must be able to fail: a value written JSON-escaped or inside other text is found."""
    (tmp_path / "a.json").write_text('{"x": "prefix-PLANTEDabc\\/def-suffix"}')
    try:
        assert_never_written(["PLANTEDabc/def"], tmp_path)
    except AssertionError as exc:
        assert "a.json" in str(exc) and "PLANTEDabc/def" not in str(exc)
    else:
        raise AssertionError("the planted value was written but not found")


@settings(max_examples=20)
@given(value=secret_values)
def test_planted_values_look_like_secrets(value):
    assert re.fullmatch(r"PLANTED[A-Za-z0-9+/=_-]{12,40}", value)


# --- the same, through a whole scan of an account with secrets in every place AWS keeps them ------------------


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(secret_values, min_size=len(PLANTERS), max_size=len(PLANTERS), unique=True),
       region=st.sampled_from(DEMO_REGIONS))
def test_secrets_planted_in_the_account_appear_in_no_output(aws, tmp_path_factory, values, region):
    """Every planter's secret, in a random region, through every collector and output format registered.

    Until the secrets family lands most of these places are not read at all; the test grows with it."""
    aws.reset()
    seed_sample_account()
    for (name, plant), value in zip(PLANTERS.items(), values, strict=True):
        plant(region, f"planted-{name.replace('_', '-')}", value)
    out = tmp_path_factory.mktemp("scan") / "pack"
    stdout, stderr = io.StringIO(), io.StringIO()
    args = ["scan", "--out", str(out), *[a for r in DEMO_REGIONS for a in ("--region", r)]]
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(args)
    assert code in (0, 1, 3), stderr.getvalue()
    assert (out / "assessment.json").is_file()
    assert_never_written(values, out, texts=[stdout.getvalue(), stderr.getvalue()])
