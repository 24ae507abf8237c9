"""A deterministic, realistic set of processing tasks generated from a seed.

The layout guarantees coverage rather than leaving it to chance: task ``i`` runs template
``i % 5`` with status ``(i // 5) % 5`` (so every 25 tasks hold every template/status pair),
its data-source type cycles through OBS, TASK, DATASET and CUSTOM, and whether it carries
``data_source``, ``inputs`` or both cycles in thirds. Names, times and durations are drawn
from a small pool on purpose, so that sorting has ties and the ``task_id`` tie-breaker
matters. ``is_current`` marks the newest task of each template on each dataset version.
"""

from __future__ import annotations

import random
import string
from typing import Any

TEMPLATES: tuple[tuple[str, str], ...] = (
    ("sys_data_analyse", "data analyse template name"),
    ("sys_data_cleaning", "data cleaning template name"),
    ("sys_data_augmentation", "data augmentation template name"),
    ("sys_data_validation", "data validation template name"),
    ("sys_data_selection", "data selection template name"),
)
SOURCE_TYPES: tuple[str, ...] = ("OBS", "TASK", "DATASET", "CUSTOM")
WORKSPACES: tuple[str, ...] = ("0", "0", "0", "ws-vision-01", "ws-audit-02", "ws-Shared")
_ID_ALPHABET = string.ascii_letters + string.digits
_NAME_STEMS = ("PRE", "analyse", "Clean", "augment", "VALID", "select", "Prüfung", "nightly_run", "50%_sample")
_TASK_TYPES = ("image_classification", "object_detection")
_ERRORS = (
    "The dataset version has no annotated samples.",
    "OBS path not found or access denied.",
    "Operator timed out after 3600 seconds.",
    "Manifest file is malformed at line 17.",
)
_BASE_TIME_MS = 1_600_000_000_000


def _random_id(rng: random.Random, length: int = 19) -> str:
    return "".join(rng.choice(_ID_ALPHABET) for _ in range(length))


def _datasets(rng: random.Random) -> list[dict[str, Any]]:
    datasets = []
    for index in range(6):
        dataset_id = _random_id(rng)
        versions = [
            {"version_id": _random_id(rng), "version_name": f"V{number:03d}"} for number in range(1, 2 + index % 3 + 1)
        ]
        datasets.append(
            {
                "id": dataset_id,
                "name": f"dataset-{rng.randrange(16**4):04x}",
                "versions": versions,
                "bucket": f"/bucket-{index}/datasets/{dataset_id}/",
            }
        )
    return datasets


def _operator_params(
    template_id: str, rng: random.Random, dataset: dict[str, Any], version: dict[str, Any]
) -> list[dict[str, Any]]:
    task_type = rng.choice(_TASK_TYPES)
    manifest = f"s3:/{dataset['bucket']}annotation/{version['version_name']}/{version['version_name']}.manifest"
    if template_id == "sys_data_analyse":
        return [
            {
                "id": "sys_data_analyse",
                "params": {
                    "op_list": rng.sample(
                        ["brightness", "blur", "aspect_ratio", "colorfulness", "area_ratio"], k=rng.randint(0, 3)
                    ),
                    "task_type": task_type,
                    "manifest_path": manifest,
                    "file_path": f"s3:/{dataset['bucket']}annotation/evaluation/{version['version_name']}",
                    "is_normed": rng.random() < 0.5,
                },
            }
        ]
    if template_id == "sys_data_validation":
        return [
            {
                "name": "MetaValidation",
                "advanced_params_switch": False,
                "params": {
                    "task_type": task_type,
                    "dataset_type": "manifest",
                    "source_service": "select",
                    "filter_func": "data_validation_select",
                    "image_max_width": str(rng.choice([-1, 1920, 4096])),
                    "image_max_height": str(rng.choice([-1, 1080, 4096])),
                    "total_status": "[0,1,2]",
                },
            }
        ]
    if template_id == "sys_data_cleaning":
        return [
            {
                "name": "PCC",
                "advanced_params_switch": rng.random() < 0.3,
                "params": {
                    "task_type": task_type,
                    "dataset_type": "manifest",
                    "source_service": "select",
                    "filter_func": "data_cleaning_select",
                    "similarity_threshold": f"{rng.choice([0.8, 0.9, 0.95])}",
                    "remove_duplicates": True,
                },
            }
        ]
    if template_id == "sys_data_augmentation":
        return [
            {
                "name": "ImageAugmentation",
                "advanced_params_switch": rng.random() < 0.5,
                "params": {
                    "task_type": task_type,
                    "augmentation_types": rng.sample(["flip", "crop", "rotate", "scale", "blur"], k=3),
                    "multiple": rng.randint(1, 4),
                    "keep_original": True,
                    "label_mapping": {"cat": "animal", "dog": "animal"},
                },
            }
        ]
    return [
        {
            "name": "SimDeduplication",
            "advanced_params_switch": False,
            "params": {
                "task_type": task_type,
                "simlarity_threshold": f"{rng.choice([0.85, 0.9])}",
                "select_ratio": f"{rng.choice([0.5, 0.8])}",
                "select_mode": rng.choice(["random", "diverse"]),
            },
        }
    ]


def _source(
    kind: str, rng: random.Random, dataset: dict[str, Any], version: dict[str, Any], earlier: list[str]
) -> dict[str, Any]:
    if kind == "OBS":
        return {"type": "OBS", "source": f"{dataset['bucket']}raw/{rng.choice(['images', 'frames', 'scans'])}/"}
    if kind == "TASK":
        return {"type": "TASK", "source": rng.choice(earlier) if earlier else _random_id(rng)}
    if kind == "DATASET":
        return {
            "type": "DATASET",
            "source": dataset["id"],
            "name": dataset["name"],
            "version_id": version["version_id"],
            "version_name": version["version_name"],
        }
    # CUSTOM: the real user's project when a resource tenant calls, empty otherwise.
    return {
        "type": "CUSTOM",
        "source": rng.choice(["", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "f0e1d2c3b4a5968778695a4b3c2d1e0f"]),
    }


def generate_tasks(seed: int, count: int) -> list[dict[str, Any]]:
    """``count`` tasks, always the same for the same seed."""
    rng = random.Random(seed)
    datasets = _datasets(rng)
    tasks: list[dict[str, Any]] = []
    used_ids: set[str] = set()
    # Grown in step with ``tasks`` rather than rebuilt per task, which made generation
    # quadratic; rng.choice only needs the same sequence, so the draws are unchanged.
    earlier_ids: list[str] = []
    for index in range(count):
        template_id, template_name = TEMPLATES[index % len(TEMPLATES)]
        status = (index // len(TEMPLATES)) % 5
        kind = SOURCE_TYPES[(index // 3) % len(SOURCE_TYPES)]
        shape = index % 3  # 0: data_source only, 1: inputs only, 2: both
        dataset = rng.choice(datasets)
        version = rng.choice(dataset["versions"])
        task_id = _random_id(rng)
        while task_id in used_ids:
            task_id = _random_id(rng)
        used_ids.add(task_id)
        primary = _source(kind, rng, dataset, version, earlier_ids)
        extra_kind = rng.choice(SOURCE_TYPES)
        inputs = [primary] if shape != 2 else [primary, _source(extra_kind, rng, dataset, version, earlier_ids)]
        duration = None if status == 0 else rng.choice([0, 12, 22, 60, 277, 600, 1800])
        task: dict[str, Any] = {
            "task_id": task_id,
            "name": f"{rng.choice(_NAME_STEMS)}-{rng.randrange(16**2):02x}",
            "description": rng.choice(["", "test", "weekly curation run", "Pre-labelling check"]),
            "template": {
                "id": template_id,
                "name": template_name,
                "operator_params": _operator_params(template_id, rng, dataset, version),
            },
            "status": status,
            # Minute granularity over a short span: several tasks share a create_time.
            "create_time": _BASE_TIME_MS + rng.randrange(0, 400) * 60_000,
            "workspace_id": rng.choice(WORKSPACES),
            "version_count": rng.randint(1, 3),
            "work_path": {
                "type": "DATASET",
                "path": dataset["id"],
                "name": dataset["name"],
                "version_name": f"V{rng.randint(2, 9):03d}",
                "output_path": f"{dataset['bucket']}out/{task_id}/",
            }
            if rng.random() < 0.7
            else {
                "type": "OBS",
                "path": f"{dataset['bucket']}work/",
                "output_path": f"{dataset['bucket']}out/{task_id}/",
            },
        }
        if duration is not None:
            task["duration_seconds"] = duration
        if shape in (0, 2):
            task["data_source"] = primary
        if shape in (1, 2):
            task["inputs"] = inputs
        if kind == "DATASET" or rng.random() < 0.6:
            task["version_id"] = version["version_id"]
            task["version_name"] = version["version_name"]
        if status == 3:
            task["error_msg"] = rng.choice(_ERRORS)
        if status == 2 and template_id == "sys_data_analyse":
            task["result"] = {
                "brightness": [round(rng.random(), 2) for _ in range(3)],
                "blur": [round(rng.random(), 2) for _ in range(2)],
                "aspect_ratio": [round(0.5 + rng.random(), 2) for _ in range(2)],
                "image_count": rng.randint(10, 5000),
            }
        if rng.random() < 0.2:
            task["ai_project"] = ""
        tasks.append(task)
        earlier_ids.append(task_id)
    _mark_current(tasks)
    return tasks


def _mark_current(tasks: list[dict[str, Any]]) -> None:
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for task in tasks:
        task["is_current"] = False
        key = (task["template"]["id"], task.get("version_id") or "")
        best = newest.get(key)
        if best is None or (task["create_time"], task["task_id"]) > (best["create_time"], best["task_id"]):
            newest[key] = task
    for task in newest.values():
        task["is_current"] = True
