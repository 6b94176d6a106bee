"""The validated library: config, controls and checks loaded together, with every problem reported at once."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path

from auditpack.errors import NothingSelected, UnknownCheck, UnknownControl, UnknownService, UserError
from auditpack.library.checks import CheckSpec, check_problems, load_checks, parameter_schemas
from auditpack.library.config import Config, read_config
from auditpack.library.controls import Control, ResolvedParameters, load_controls, resolve_parameters
from auditpack.library.yamlfile import Problem
from auditpack.models import Selection, Severity


class ValidationFailed(UserError):
    """Control or config files have problems; each is one line naming file, field and expectation."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in controls or config:\n" + "\n".join(problems))


@dataclass(frozen=True)
class Library:
    config: Config
    controls: dict[str, Control]
    checks: dict[str, CheckSpec]  # only the checks the controls cite
    params: ResolvedParameters
    selection: Selection = field(default_factory=Selection)  # what the command line narrowed the run to

    def controls_by_check(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for control in self.controls.values():
            for check_id in control.checks:
                out.setdefault(check_id, []).append(control.id)
        return out

    def restrict(self, controls: dict[str, Control]) -> Library:
        cited = {c for control in controls.values() for c in control.checks}
        return replace(self, controls=controls, checks={k: v for k, v in self.checks.items() if k in cited})

    def select(self, wanted: list[str]) -> Library:
        """Only the controls asked for (by NIST or OSCAL id), and only the checks they cite."""
        return self.narrow(Selection(controls=wanted))

    def narrow(self, selection: Selection) -> Library:
        """The controls and checks a selection keeps: controls by id, then checks by id, exclusion, severity
        and service. A control keeps only its selected checks, and is dropped when none is left."""
        if not selection.narrowed:
            return self
        controls = self.controls
        if selection.controls:
            by_any = {c.id.upper(): c for c in controls.values()} | {c.oscal_id: c for c in controls.values()}
            chosen = {}
            for raw in selection.controls:
                control = by_any.get(raw.upper()) or by_any.get(raw.lower())
                if control is None:
                    raise UnknownControl(raw, list(controls))
                chosen[control.id] = control
            controls = {cid: c for cid, c in controls.items() if cid in chosen}  # the library's order
            selection = selection.model_copy(update={"controls": list(chosen)})
        for check_id in selection.checks + selection.exclude_checks:
            if check_id not in self.checks:
                raise UnknownCheck(check_id, list(self.checks))
        services = {service for spec in self.checks.values() for service in spec.services}
        for service in selection.services:
            if service not in services:
                raise UnknownService(service, sorted(services))
        kept = {check_id for check_id, spec in self.checks.items()
                if (not selection.checks or check_id in selection.checks)
                and check_id not in selection.exclude_checks
                and (selection.severity is None or Severity(spec.severity).rank >= selection.severity.rank)
                and (not selection.services or set(spec.services) & set(selection.services))}
        narrowed = {cid: replace(c, checks=tuple(k for k in c.checks if k in kept)) for cid, c in controls.items()}
        narrowed = {cid: c for cid, c in narrowed.items() if c.checks}
        if not narrowed:
            raise NothingSelected(selection.describe())
        library = self.restrict(narrowed)
        return replace(library, selection=selection)


def load_library(controls_dir: Path | None, config_path: Path | None, *, formats: Collection[str]) -> Library:
    """Config, controls and checks, validated together; raises ``ValidationFailed`` listing every problem.

    ``formats`` are the output formats this version writes (the render stage's registry): the config may name
    only those, and names all of them when it names none."""
    problems: list[Problem] = []
    all_checks = load_checks().as_dict()
    problems.extend(Problem(p) for spec in all_checks.values() for p in check_problems(spec))
    schemas = parameter_schemas(all_checks.values(), problems)
    config = read_config(config_path, problems, set(all_checks), formats, schemas)
    controls = load_controls(controls_dir, all_checks, problems)
    params = resolve_parameters(controls, all_checks, config.parameters, problems)
    if problems:
        raise ValidationFailed(problems)
    cited = {c for control in controls.values() for c in control.checks}
    return Library(config, controls, {k: v for k, v in all_checks.items() if k in cited}, params)
