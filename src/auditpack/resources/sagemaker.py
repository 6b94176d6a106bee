"""SageMaker notebook instance lifecycle configurations: the shell scripts run when a notebook is created or
started, decoded from base64 in memory.

They run as root on the notebook instance and are readable by anyone with
sagemaker:DescribeNotebookInstanceLifecycleConfig; a credential there belongs in Secrets Manager, fetched by the
notebook's execution role.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.secret_source import Candidate
from auditpack.resources.userdata import decode_user_data


class LifecycleConfig(AwsResource):
    cfn_type: ClassVar[str] = "AWS::SageMaker::NotebookInstanceLifecycleConfig"

    scripts: dict[str, str] = Field(default_factory=dict, repr=False)  # "OnCreate"/"OnStart" -> decoded, memory only

    def secret_candidates(self) -> list[Candidate]:
        return [Candidate(field=f"{hook} script", value=text, script=True) for hook, text in self.scripts.items()
                if text]


def _script(hooks: list[dict] | None) -> str:
    return "\n".join(decode_user_data(hook.get("Content")) for hook in hooks or [])


@collector("sagemaker.lifecycle_configs", service="sagemaker",
           permissions=["sagemaker:ListNotebookInstanceLifecycleConfigs",
                        "sagemaker:DescribeNotebookInstanceLifecycleConfig"], secrets=("Content",))
def lifecycle_configs(ctx: Reader) -> list[LifecycleConfig]:
    listed = [(raw, page.evidence) for page in ctx.paginate("sagemaker", "list_notebook_instance_lifecycle_configs")
              for raw in page.data.get("NotebookInstanceLifecycleConfigs", [])]

    def read(item: tuple[dict, str]) -> LifecycleConfig:
        raw, listing = item
        name = raw["NotebookInstanceLifecycleConfigName"]
        got = ctx.call("sagemaker", "describe_notebook_instance_lifecycle_config",
                       NotebookInstanceLifecycleConfigName=name)
        return LifecycleConfig(
            arn=raw.get("NotebookInstanceLifecycleConfigArn") or ctx.arn(
                "sagemaker", f"notebook-instance-lifecycle-config/{name}"),
            name=name, account=ctx.account, region=ctx.region, evidence=(listing, got.evidence),
            scripts={"OnCreate": _script(got.data.get("OnCreate")), "OnStart": _script(got.data.get("OnStart"))},
        )

    return ctx.each(read, listed)
