"""Elastic Beanstalk configuration settings: moto 5.2.5 drops CreateEnvironment's OptionSettings and has no
DescribeConfigurationSettings; the extension keeps the settings on moto's environment and answers with them."""

from __future__ import annotations

from typing import Any

from auditpack.emulator.extensions import extension


@extension("elasticbeanstalk-configuration-settings", service="elasticbeanstalk",
           operations=("CreateEnvironment", "DescribeConfigurationSettings"),
           reason="moto 5.2.5 drops an environment's OptionSettings and lacks DescribeConfigurationSettings")
def install() -> None:
    from moto.core.responses import ActionResult
    from moto.elasticbeanstalk.exceptions import InvalidParameterValueError
    from moto.elasticbeanstalk.responses import EBResponse

    create = EBResponse.create_environment

    def create_environment(self: Any) -> Any:
        result = create(self)
        app = self.elasticbeanstalk_backend.applications[self._get_param("ApplicationName")]
        app.environments[self._get_param("EnvironmentName")].auditpack_option_settings = list(
            self._get_param("OptionSettings", []) or [])
        return result

    def describe_configuration_settings(self: Any) -> ActionResult:
        name, app_name = self._get_param("EnvironmentName"), self._get_param("ApplicationName")
        app = self.elasticbeanstalk_backend.applications.get(app_name)
        env = app.environments.get(name) if app else None
        if env is None:
            raise InvalidParameterValueError(f"No Environment found for EnvironmentName = '{name}'.")
        return ActionResult({"ConfigurationSettings": [{
            "ApplicationName": app_name, "EnvironmentName": name, "DeploymentStatus": "deployed",
            "SolutionStackName": env.solution_stack_name,
            "OptionSettings": getattr(env, "auditpack_option_settings", []),
        }]})

    EBResponse.create_environment = create_environment  # type: ignore[method-assign]
    EBResponse.describe_configuration_settings = describe_configuration_settings  # type: ignore[attr-defined]
