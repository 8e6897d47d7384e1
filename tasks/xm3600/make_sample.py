"""Builds the bundled offline sample in PangeaBench-xm100's schema: sample/data/<code>-00000-of-00001.parquet
for eight of its 36 language splits, each row (image, image_id, caption) as the Hub has them.

Synthetic on purpose: three generated shape images, shared by id across languages as XM3600's images
are, each with one hand-written caption per language (spaced scripts, and Chinese, Japanese and Thai,
which are written without spaces). Re-run with `python -m tasks.xm3600.make_sample`; deterministic.
"""

from __future__ import annotations

from pathlib import Path

from tv_eval.api import shape_image

SAMPLE_DIR = Path(__file__).parent / "sample" / "data"
# (image_id, shape, colour): ids in XM3600's 16-hex-digit form.
IMAGES = (
    ("0a1b2c3d4e5f6071", "circle", "red"),
    ("1b2c3d4e5f607182", "square", "blue"),
    ("2c3d4e5f60718293", "triangle", "green"),
)
CAPTIONS = {
    "en": ("A red circle on a white background.", "A blue square in the middle.", "A green triangle."),
    "de": (
        "Ein roter Kreis auf weißem Hintergrund.",
        "Ein blaues Quadrat in der Mitte.",
        "Ein grünes Dreieck.",
    ),
    "ar": ("دائرة حمراء على خلفية بيضاء.", "مربع أزرق في المنتصف.", "مثلث أخضر."),
    "sw": ("Duara jekundu kwenye mandharinyuma meupe.", "Mraba wa buluu katikati.", "Pembetatu ya kijani."),
    "quz": ("Puka muyu yuraq patapi.", "Anqas tawa k'uchu chawpipi.", "Q'omer kimsa k'uchu."),
    "zh": ("白色背景上的一个红色圆形。", "中间有一个蓝色正方形。", "一个绿色三角形。"),
    "ja": ("白い背景に赤い丸があります。", "真ん中に青い四角形があります。", "緑色の三角形です。"),
    "th": ("วงกลมสีแดงบนพื้นหลังสีขาว", "สี่เหลี่ยมสีน้ำเงินอยู่ตรงกลาง", "สามเหลี่ยมสีเขียว"),
}


def language_rows(language: str) -> list[dict]:
    """One row per image with the language's caption."""
    return [
        {
            "image": {"bytes": shape_image(shape, colour), "path": None},
            "image_id": image_id,
            "caption": caption,
        }
        for (image_id, shape, colour), caption in zip(IMAGES, CAPTIONS[language], strict=True)
    ]


def write_xm100_parquet(rows: list[dict], path: Path) -> None:
    """Rows with PangeaBench-xm100's features: image (an Image), image_id and caption (strings)."""
    from datasets import Dataset, Features, Image, Value

    features = Features({"image": Image(), "image_id": Value("string"), "caption": Value("string")})
    path.parent.mkdir(parents=True, exist_ok=True)
    Dataset.from_list(rows, features=features).to_parquet(str(path))


if __name__ == "__main__":
    for code in CAPTIONS:
        write_xm100_parquet(language_rows(code), SAMPLE_DIR / f"{code}-00000-of-00001.parquet")
    print(f"wrote {len(CAPTIONS)} splits under {SAMPLE_DIR}")
