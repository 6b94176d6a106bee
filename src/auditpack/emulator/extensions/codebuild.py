"""CodeBuild secondary sources: moto 5.2.5 drops ``secondarySources`` from CreateProject, so BatchGetProjects
never shows them; the extension keeps them on the project moto stores."""

from __future__ import annotations

from typing import Any

from auditpack.emulator.extensions import extension


@extension("codebuild-secondary-sources", service="codebuild", operations=("CreateProject", "BatchGetProjects"),
           reason="moto 5.2.5 drops a project's secondarySources, so BatchGetProjects never returns them")
def install() -> None:
    from moto.codebuild.responses import CodeBuildResponse

    original = CodeBuildResponse.create_project

    def create_project(self: Any) -> Any:
        result = original(self)
        extra = self._get_param("secondarySources")
        if extra:
            project = self.codebuild_backend.codebuild_projects[self._get_param("name")]
            project.project_metadata["secondarySources"] = extra
        return result

    CodeBuildResponse.create_project = create_project  # type: ignore[method-assign]
