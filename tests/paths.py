"""Where things live in the repository, for every test folder."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "processor-tasks.yaml"
# The provider's names, types, values and codes, as data (what the spec tests compare against).
PROVIDER_FACTS = ROOT / "tests" / "spec" / "provider_facts.yaml"
GENERATOR = ROOT / "generator"
GENERATED = ROOT / "generated_client"
PACKAGE = GENERATED / "processor_tasks_client"
README = ROOT / "README.md"
