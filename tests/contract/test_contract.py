"""The schemathesis contract suite, written once and run against every selected target.

`test_contract` covers the examples, coverage and fuzzing phases (positive and negative data);
`test_stateful` covers the stateful phase through the spec's `DescribeFirstTask` link. Both send
every response through the same explicit list of checks (`support.contract_checks()`).
"""

from __future__ import annotations

from typing import Any

import hypothesis
import schemathesis
from schemathesis import Response
from schemathesis.checks import CheckFunction
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.contract.support import DESCRIBE_OPERATION, LIST_OPERATION, AnyCase, Target, contract_checks

CHECKS: list[CheckFunction] = contract_checks()

schema = schemathesis.pytest.from_fixture("contract_schema")


@schema.parametrize()
def test_contract(case: AnyCase, contract_target: Target) -> None:
    case.call_and_validate(checks=CHECKS, **contract_target.call_kwargs())


# Scenarios (state machine runs) and steps per scenario; with max-steps from schemathesis.toml
# this keeps the stateful phase to a few hundred requests per target.
STATEFUL_SCENARIOS = 20


def test_stateful(contract_schema: OpenApiSchema, contract_target: Target) -> None:
    steps: list[tuple[str, int, bool]] = []

    class Machine(contract_schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: AnyCase) -> dict[str, Any]:
            return contract_target.call_kwargs()

        def step(self, input: StepInput) -> StepOutput:
            output: StepOutput = super().step(input)
            # Whether the request's parameters came from an earlier answer through a link.
            linked = input.transition is not None and input.is_applied
            steps.append((input.case.operation.label, output.response.status_code, linked))
            return output

        def validate_response(
            self, response: Response, case: AnyCase, additional_checks: list[CheckFunction] | None = None, **kwargs: Any
        ) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None, recorder=self.recorder)

    # The link can only be followed from a non-empty list; a live project without tasks is a
    # configuration problem to be told about, not a reason to pass.
    assert contract_target.known_task_ids, f"target {contract_target.name!r}: project has no tasks to link to"
    settings = contract_schema.config.get_hypothesis_settings(phase="stateful")
    Machine.run(settings=hypothesis.settings(settings, max_examples=STATEFUL_SCENARIOS))

    # A state machine that never followed the link would pass vacuously: require that a task id
    # taken from a ListProcessorTasks answer was read back with DescribeProcessorTask.
    assert any(label == LIST_OPERATION and status == 200 for label, status, _ in steps), steps
    assert any(label == DESCRIBE_OPERATION and status == 200 and linked for label, status, linked in steps), (
        "the stateful phase never followed DescribeFirstTask to a 200 answer",
        steps,
    )
