"""Step Functions state machines and the literal values in their definitions: task parameters, HTTP task headers
and authentication.

A definition is readable by anyone with states:DescribeStateMachine and is copied into every execution's history;
an HTTP task is meant to authenticate through an EventBridge connection (``Authentication.ConnectionArn``), so a
token written into its ``Headers`` is a credential in clear.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.documents import Path, leaf_candidates, parse_document
from auditpack.resources.secret_source import Candidate

# The fields of a state that carry values into the task it runs (JSONPath and JSONata definitions).
VALUE_FIELDS = ("Parameters", "Arguments", "ItemSelector", "Credentials", "Output", "Assign")


def _states(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state, those inside Parallel branches and Map iterators included."""
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        yield name, state
        for branch in state.get("Branches") or []:
            yield from _states((branch or {}).get("States") or {})
        for inner in (state.get("ItemProcessor"), state.get("Iterator")):
            yield from _states((inner or {}).get("States") or {})


def _is_reference(path: Path) -> bool:
    """``"Token.$": "$.token"``: the value is a path into the state's input, not a literal."""
    return any(isinstance(part, str) and part.endswith(".$") for part in path)


class StateMachine(AwsResource):
    cfn_type: ClassVar[str] = "AWS::StepFunctions::StateMachine"

    definition: str = Field(default="", repr=False)  # memory only

    def secret_candidates(self) -> list[Candidate]:
        tree = parse_document(self.definition)
        if not isinstance(tree, dict):
            return [Candidate(field="definition", value=self.definition, script=True)] if self.definition else []
        out: list[Candidate] = []
        for name, state in _states(tree.get("States") or {}):
            for key in VALUE_FIELDS:
                if key in state:
                    out += leaf_candidates(state[key], f"state {name} {key}", skip=_is_reference)
        return out


@collector("stepfunctions.state_machines", service="stepfunctions",
           permissions=["states:ListStateMachines", "states:DescribeStateMachine"], secrets=("definition",))
def state_machines(ctx: Reader) -> list[StateMachine]:
    listed = [(raw, page.evidence) for page in ctx.paginate("stepfunctions", "list_state_machines")
              for raw in page.data.get("stateMachines", [])]

    def read(item: tuple[dict, str]) -> StateMachine:
        raw, listing = item
        got = ctx.call("stepfunctions", "describe_state_machine", stateMachineArn=raw["stateMachineArn"])
        return StateMachine(arn=raw["stateMachineArn"], name=raw["name"], account=ctx.account, region=ctx.region,
                            evidence=(listing, got.evidence), definition=str(got.data.get("definition", "")))

    return ctx.each(read, listed)
