"""The committed JSON Schema of results.json, generated from the document model so the two never drift.

Regenerate after changing a model in `tv_eval.results.document`:

    python -m tv_eval.results.schema_file

tests/test_documents.py fails while the committed file differs from what the model generates.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from tv_eval.results.document import ResultsDocument

SCHEMA_ID = "https://tv-eval.dev/schemas/results.schema.json"
SCHEMA_FILE = "results.schema.json"


def generated_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **ResultsDocument.model_json_schema(),
    }


def schema_text() -> str:
    return json.dumps(generated_schema(), indent=2, ensure_ascii=False) + "\n"


def committed_schema_path() -> Path:
    return Path(str(resources.files("tv_eval") / "schemas" / SCHEMA_FILE))


def main() -> None:
    path = committed_schema_path()
    path.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
