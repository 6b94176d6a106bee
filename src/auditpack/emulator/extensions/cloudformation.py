"""CloudFormation NoEcho parameters: moto 5.2.5 returns their values in clear from DescribeStacks, where AWS
returns ``****``: it compares each parameter's value, not its key, with the NoEcho keys, and counts only the
parameters passed in (a NoEcho parameter left at its default is not hidden either). The extension reads NoEcho
from the stack's template."""

from __future__ import annotations

from typing import Any

from auditpack.emulator.extensions import extension


def parameter_list(self: Any) -> list[dict[str, Any]]:
    declared = (self.template_dict or {}).get("Parameters") or {}
    hidden = {key for key, slot in declared.items() if str((slot or {}).get("NoEcho", "")).lower() == "true"}
    return [{"ParameterKey": key, "ParameterValue": "****" if key in hidden else value}
            for key, value in self.resource_map.resolved_parameters.items()]


@extension("cloudformation-noecho", service="cloudformation", operations=("DescribeStacks",),
           reason="moto 5.2.5 returns NoEcho parameter values in clear from DescribeStacks; AWS returns ****")
def install() -> None:
    from moto.cloudformation.models import Stack

    Stack.parameter_list = property(parameter_list)  # type: ignore[assignment,method-assign]
