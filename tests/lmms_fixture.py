"""A small lmms-eval task group written for the bridge's tests: YAML configurations, their utils and a
local parquet dataset with images, in the layout lmms-eval's `--include_path` reads.

`tvtoy` groups `tvtoy_de` (German) and `tvtoy_sw` (Swahili): one question per coloured-shape image,
each doc's language also in its `lang` field. `exact_match` and `ascii_share` (the share of the answer's
characters that are ASCII, so that a random model's scores differ from doc to doc) are averaged by
lmms-eval; `char_f1` is
aggregated at corpus level (2 x shared characters / (predicted + reference characters), summed over
the corpus before dividing: no mean of per-doc values gives it). The prompt has a variant for
lmms-eval's `llava_hf`, which lmms-eval picks when it runs that model.
"""

from __future__ import annotations

from pathlib import Path

from tv_eval.data.synthetic import shape_image

QUESTIONS = {
    "de": ("Welche Form ist das?", "Welche Farbe hat die Form?"),
    "sw": ("Hii ni umbo gani?", "Umbo lina rangi gani?"),
}
ITEMS = (("circle", "red"), ("square", "blue"), ("triangle", "green"))

UTILS = """\
from collections import Counter


def doc_to_visual(doc):
    return [doc["image"].convert("RGB")]


def doc_to_text(doc, lmms_eval_specific_kwargs=None):
    kwargs = lmms_eval_specific_kwargs or {}
    return f"{kwargs.get('pre_prompt', '')}{doc['question']}{kwargs.get('post_prompt', '')}"


def process_results(doc, results):
    prediction = results[0].strip()
    reference = doc["answer"]
    shared = sum((Counter(prediction.lower()) & Counter(reference.lower())).values())
    return {
        "exact_match": float(prediction.lower() == reference.lower()),
        "ascii_share": sum(char.isascii() for char in prediction) / len(prediction) if prediction else 0.0,
        "char_f1": [shared, len(prediction), len(reference)],
    }


def char_f1(items):
    shared = sum(item[0] for item in items)
    total = sum(item[1] + item[2] for item in items)
    return 2 * shared / total if total else 0.0
"""

TASK_YAML = """\
task: tvtoy_{lang}
dataset_path: parquet
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_visual: !function utils.doc_to_visual
doc_to_text: !function utils.doc_to_text
doc_to_target: answer
generation_kwargs:
  max_new_tokens: 6
  temperature: 0
  until: ["\\n\\n"]
lmms_eval_specific_kwargs:
  default:
    pre_prompt: ""
    post_prompt: " Answer in one word."
  llava_hf:
    pre_prompt: ""
    post_prompt: " One word."
process_results: !function utils.process_results
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
  - metric: ascii_share
    aggregation: mean
    higher_is_better: true
  - metric: char_f1
    aggregation: !function utils.char_f1
    higher_is_better: true
"""

GROUP_YAML = """\
group: tvtoy
task:
  - tvtoy_de
  - tvtoy_sw
"""


def write_dataset(path: Path, lang: str) -> None:
    from datasets import Dataset, Features, Image, Value

    rows: dict[str, list] = {"question": [], "answer": [], "image": [], "lang": []}
    for shape, colour in ITEMS:
        for position, question in enumerate(QUESTIONS[lang]):
            rows["question"].append(question)
            rows["answer"].append(shape if position == 0 else colour)
            rows["image"].append({"bytes": shape_image(shape, colour, size=32), "path": None})
            rows["lang"].append(lang)
    features = Features(
        {"question": Value("string"), "answer": Value("string"), "image": Image(), "lang": Value("string")}
    )
    Dataset.from_dict(rows, features=features).to_parquet(str(path))


def write_task_folder(folder: Path) -> Path:
    """The task group's folder (pass it as include_path); its datasets beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "utils.py").write_text(UTILS, encoding="utf-8")
    (folder / "tvtoy.yaml").write_text(GROUP_YAML, encoding="utf-8")
    for lang in QUESTIONS:
        data = folder / f"tvtoy_{lang}.parquet"
        write_dataset(data, lang)
        (folder / f"tvtoy_{lang}.yaml").write_text(TASK_YAML.format(lang=lang, data=data), encoding="utf-8")
    return folder
