"""The client reads what a server that follows the spec sends — and what a newer one
sends — without losing anything, and to_dict() gives every field back."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml
from processor_tasks_client import AuthenticatedClient
from processor_tasks_client.api.processor_tasks import describe_processor_task, list_processor_tasks
from processor_tasks_client.models import (
    DataSourceType,
    DescribeProcessorTaskResp,
    ListProcessorTasksResp,
    TaskStatus,
    TemplateId,
)
from processor_tasks_client.types import UNSET

from tests.client.stub_server import StubServer
from tests.paths import SPEC

SPEC_DATA = yaml.safe_load(SPEC.read_text())
LIST_200 = SPEC_DATA["paths"]["/v2/{project_id}/processor-tasks"]["get"]["responses"]["200"]["content"][
    "application/json"
]
DESCRIBE_200 = SPEC_DATA["paths"]["/v2/{project_id}/processor-tasks/{task_id}"]["get"]["responses"]["200"]["content"][
    "application/json"
]
LIST_EXAMPLE = LIST_200["examples"]["latest-analysis-of-two-versions"]["value"]
DESCRIBE_EXAMPLE = DESCRIBE_200["examples"]["completed-feature-analysis"]["value"]


def test_spec_examples_parse_into_typed_models(stub: StubServer, client: AuthenticatedClient) -> None:
    stub.reply_json(LIST_EXAMPLE)
    page = list_processor_tasks.sync("proj", client=client)
    assert isinstance(page, ListProcessorTasksResp)
    task = page.tasks[0]
    assert task.status is TaskStatus.COMPLETED
    assert task.template and task.template.id is TemplateId.SYS_DATA_ANALYSE
    assert task.inputs and task.inputs[0].type_ is DataSourceType.DATASET
    assert task.data_source and task.data_source.type_ is DataSourceType.DATASET
    assert (task.version_name, task.is_current) == ("V001", True)
    assert page.to_dict() == LIST_EXAMPLE

    stub.reply_json(DESCRIBE_EXAMPLE)
    described = describe_processor_task.sync("proj", "AcYfsdfhGyrWL5TtahH", client=client)
    assert isinstance(described, DescribeProcessorTaskResp)
    assert described.to_dict() == DESCRIBE_EXAMPLE


def _evolved() -> dict[str, Any]:
    task = copy.deepcopy(DESCRIBE_EXAMPLE)
    task["status"] = 5
    task["template"]["id"] = "sys_data_relabel"
    task["template"]["operator_params"][0]["future_flag"] = {"nested": [1, 2]}
    task["data_source"]["type"] = "STREAM"
    task["work_path"] = {"type": "S3", "path": "s3://b/k", "shiny": True}
    task["brand_new_field"] = {"a": [1, None, "x"]}
    return {"count": 1, "tasks": [task], "next_marker": "abc"}


def test_evolved_answer_keeps_unknown_fields_and_enum_values(stub: StubServer, client: AuthenticatedClient) -> None:
    evolved = _evolved()
    stub.reply_json(evolved)
    page = list_processor_tasks.sync("proj", client=client)
    task = page.tasks[0]
    assert task.status == 5 and not isinstance(task.status, TaskStatus)
    assert task.template and task.template.id == "sys_data_relabel"
    assert task.data_source and task.data_source.type_ == "STREAM"
    assert task.work_path and task.work_path.type_ == "S3" and task.work_path["shiny"] is True
    assert task["brand_new_field"] == {"a": [1, None, "x"]}
    assert page["next_marker"] == "abc"
    assert page.to_dict() == evolved


def test_null_in_every_optional_field(stub: StubServer, client: AuthenticatedClient) -> None:
    schema = SPEC_DATA["components"]["schemas"]["DescribeProcessorTaskResp"]
    task: dict[str, Any] = {name: None for name in schema["properties"] if name != "task_id"}
    task["task_id"] = "t-null"
    nested = {
        "data_source": "ProcessorDataSource",
        "template": "TemplateParam",
        "work_path": "WorkPath",
    }
    nulls_inside = {
        key: dict.fromkeys(SPEC_DATA["components"]["schemas"][name]["properties"]) for key, name in nested.items()
    }
    stub.reply_json(
        {"count": 2, "tasks": [task, {"task_id": "t-nested", **nulls_inside, "inputs": [nulls_inside["data_source"]]}]}
    )
    page = list_processor_tasks.sync("proj", client=client)
    first, second = page.tasks
    assert first.template is None and first.work_path is None and first.status is None and first.result is None
    assert second.template and second.template.operator_params is None
    assert page.to_dict()["tasks"] == [
        task,
        {"task_id": "t-nested", **nulls_inside, "inputs": [nulls_inside["data_source"]]},
    ]


@pytest.mark.parametrize(
    "result",
    [{"blur": [0.1]}, [1, 2], "xxx", 3, 2.5, True, False, None, {}, []],
    ids=lambda v: type(v).__name__ + json.dumps(v),
)
def test_result_of_every_json_type_round_trips(stub: StubServer, client: AuthenticatedClient, result: Any) -> None:
    body = {"task_id": "t1", "result": result}
    stub.reply_json(body)
    task = describe_processor_task.sync("proj", "t1", client=client)
    assert task.result == result and type(task.result) is type(result)
    assert task.to_dict() == body


def test_absent_fields_stay_absent(stub: StubServer, client: AuthenticatedClient) -> None:
    stub.reply_json({"task_id": "bare"})
    task = describe_processor_task.sync("proj", "bare", client=client)
    assert task.name is UNSET and task.result is UNSET
    assert task.to_dict() == {"task_id": "bare"}


def test_from_dict_to_dict_is_lossless_for_the_models() -> None:
    evolved = _evolved()
    assert ListProcessorTasksResp.from_dict(copy.deepcopy(evolved)).to_dict() == evolved
