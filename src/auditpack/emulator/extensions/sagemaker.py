"""SageMaker notebook lifecycle configurations: moto 5.2.5 creates and describes them but answers
ListNotebookInstanceLifecycleConfigs with a 500; the extension lists what moto keeps."""

from __future__ import annotations

import json
from typing import Any

from auditpack.emulator.extensions import extension


def list_notebook_instance_lifecycle_configs(self: Any) -> str:
    configs = self.sagemaker_backend.notebook_instance_lifecycle_configurations.values()
    return json.dumps({"NotebookInstanceLifecycleConfigs": [{
        "NotebookInstanceLifecycleConfigName": c.notebook_instance_lifecycle_config_name,
        "NotebookInstanceLifecycleConfigArn": c.arn,
        "CreationTime": c.creation_time.timestamp() if hasattr(c.creation_time, "timestamp") else c.creation_time,
        "LastModifiedTime": (c.last_modified_time.timestamp() if hasattr(c.last_modified_time, "timestamp")
                             else c.last_modified_time),
    } for c in sorted(configs, key=lambda c: c.notebook_instance_lifecycle_config_name)]})


@extension("sagemaker-lifecycle-configs", service="sagemaker", operations=("ListNotebookInstanceLifecycleConfigs",),
           reason="moto 5.2.5 answers ListNotebookInstanceLifecycleConfigs with HTTP 500 (not implemented)")
def install() -> None:
    from moto.sagemaker.responses import SageMakerResponse

    SageMakerResponse.list_notebook_instance_lifecycle_configs = (  # type: ignore[attr-defined]
        list_notebook_instance_lifecycle_configs)
