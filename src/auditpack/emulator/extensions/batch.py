"""AWS Batch ``ecsProperties`` job definitions: moto 5.2.5 rejects them (it knows container and EKS properties
only); the extension accepts them, keeps them on moto's job definition and returns them from
DescribeJobDefinitions, as AWS does for jobs that run on ECS with several containers."""

from __future__ import annotations

import contextvars
from typing import Any

from auditpack.emulator.extensions import extension

_REGISTERING: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("ecs_properties", default=None)


@extension("batch-ecs-properties", service="batch", operations=("RegisterJobDefinition", "DescribeJobDefinitions"),
           reason="moto 5.2.5 rejects job definitions with ecsProperties ('containerProperties or eksProperties "
           "must be provided')")
def install() -> None:
    from moto.batch.exceptions import ClientException
    from moto.batch.models import JobDefinition
    from moto.batch.responses import BatchResponse

    register, init, validate, describe = (BatchResponse.registerjobdefinition, JobDefinition.__init__,
                                          JobDefinition._validate, JobDefinition.describe)

    def registerjobdefinition(self: Any) -> Any:
        token = _REGISTERING.set(self._get_param("ecsProperties"))
        try:
            return register(self)
        finally:
            _REGISTERING.reset(token)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        self.ecs_properties = _REGISTERING.get()  # before moto's own init, which validates
        init(self, *args, **kwargs)

    def _validate(self: Any) -> None:
        ecs = getattr(self, "ecs_properties", None)
        if ecs is None or self.container_properties is not None or self.eks_properties is not None:
            validate(self)
            return
        containers = [c for task in ecs.get("taskProperties") or [] for c in task.get("containers") or []]
        if not containers or any("image" not in c for c in containers):
            raise ClientException("ecsProperties must name containers, each with an image")

    def describe_with_ecs(self: Any) -> dict[str, Any]:
        result = describe(self)
        if getattr(self, "ecs_properties", None) is not None:
            result["ecsProperties"] = self.ecs_properties
        return result

    BatchResponse.registerjobdefinition = registerjobdefinition  # type: ignore[method-assign]
    JobDefinition.__init__ = __init__  # type: ignore[method-assign]
    JobDefinition._validate = _validate  # type: ignore[method-assign]
    JobDefinition.describe = describe_with_ecs  # type: ignore[method-assign]
