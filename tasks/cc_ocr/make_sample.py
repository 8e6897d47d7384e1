"""Builds the bundled offline sample in CC-OCR's schema: sample/<config>/test-00000-of-00001.parquet for
multi_lan_ocr, multi_scene_ocr and doc_parsing, with a README naming the configs (Hub style).

Synthetic on purpose: each image is the answer's text drawn in black on white (Pillow's default font,
which has no glyphs for Arabic, Japanese or Korean: those draw as boxes); images are stored as base64
strings, as both lmms-eval versions read them. Questions and answers are hand-written. Re-run with
`python -m tasks.cc_ocr.make_sample`; deterministic.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image, ImageDraw

SAMPLE_DIR = Path(__file__).parent / "sample"
QUESTION = "Please output only the text content from the image without any additional descriptions."
# (split, l2-category, answer) per config.
ROWS = {
    "multi_lan_ocr": [
        ("Arabic", "ocr", "مرحبا بكم"),
        ("Arabic", "ocr", "شارع الملك فهد"),
        ("French", "ocr", "Le Petit Prince\nAntoine de Saint-Exupéry"),
        ("French", "ocr", "Sortie de secours"),
        ("German", "ocr", "Straße gesperrt"),
        ("German", "ocr", "Bitte nicht rauchen"),
        ("Italian", "ocr", "Uscita di sicurezza"),
        ("Italian", "ocr", "Vietato fumare"),
        ("Japanese", "ocr", "東京駅 八重洲口"),
        ("Japanese", "ocr", "きっぷうりば"),
        ("Korean", "ocr", "서울 지하철 2호선"),
        ("Korean", "ocr", "출구"),
        ("Portuguese", "ocr", "Saída de emergência"),
        ("Portuguese", "ocr", "Proibido fumar"),
        ("Russian", "ocr", "Выход в город"),
        ("Russian", "ocr", "Не курить"),
        ("Spanish", "ocr", "Salida de emergencia"),
        ("Spanish", "ocr", "Prohibido fumar"),
        ("Vietnamese", "ocr", "Lối thoát hiểm"),
        ("Vietnamese", "ocr", "Cấm hút thuốc"),
    ],
    "multi_scene_ocr": [
        ("en_scene", "scene_text", "STOP! (No-Entry)"),
        ("en_scene", "scene_text", "Café 24/7"),
        ("zh_scene", "scene_text", "北京 欢迎你"),
    ],
    "doc_parsing": [
        ("doc_en", "doc", "\\section{Intro} Text here."),
        ("formula_en", "formula", "E = m c^{2}"),
        ("molecular", "molecular", "CC(=O)O"),
        ("table_en", "table", "<table><tr><td>1</td></tr></table>"),
    ],
}


def text_image(text: str) -> str:
    """The text drawn on a white image, PNG, as a base64 string."""
    image = Image.new("RGB", (320, 48 + 24 * text.count("\n")), (255, 255, 255))
    ImageDraw.Draw(image).multiline_text((8, 12), text, fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def config_rows(config: str) -> list[dict]:
    return [
        {
            "index": index,
            "image": text_image(answer),
            "image_name": f"{split}_{index:04d}.png",
            "question": QUESTION,
            "answer": answer,
            "l2-category": category,
            "split": split,
        }
        for index, (split, category, answer) in enumerate(ROWS[config])
    ]


def write_cc_ocr_parquet(rows: list[dict], path: Path) -> None:
    """Rows with CC-OCR's columns: index an integer, the image a base64 string, the rest strings."""
    from datasets import Dataset, Features, Value

    kinds = {"index": Value("int64")} | {
        name: Value("string")
        for name in ("image", "image_name", "question", "answer", "l2-category", "split")
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    Dataset.from_list(rows, features=Features(kinds)).to_parquet(str(path))


def write_configs(directory: Path, configs: dict[str, list[dict]]) -> None:
    """One parquet file per config and a README declaring them, as a Hub dataset card does."""
    lines = ["---", "configs:"]
    for config, rows in configs.items():
        write_cc_ocr_parquet(rows, directory / config / "test-00000-of-00001.parquet")
        lines += [f"- config_name: {config}", "  data_files:", "  - split: test"]
        lines.append(f"    path: {config}/test-00000-of-00001.parquet")
    (directory / "README.md").write_text("\n".join([*lines, "---", ""]), encoding="utf-8")


if __name__ == "__main__":
    write_configs(SAMPLE_DIR, {config: config_rows(config) for config in ROWS})
    print(f"wrote {', '.join(ROWS)} under {SAMPLE_DIR}")
