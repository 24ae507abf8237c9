"""Where things live in the repository, for every test folder."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "processor-tasks.yaml"
SEEDS = ROOT.parent / "shared" / "seeds"
GENERATOR = ROOT / "generator"
GENERATED = ROOT / "generated_client"
PACKAGE = GENERATED / "processor_tasks_client"
README = ROOT / "README.md"
