"""Builds the bundled offline sample (sample/) in ViMUL-Bench's layout: per-language configs + videos.

Synthetic on purpose: three short generated clips (a coloured shape crossing the frame, written with
PyAV), and for each of the 14 languages one multiple-choice, one short and one long open-ended question
about them, in that language. Re-run with `python -m tasks.vimul_bench.make_sample`; deterministic.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from tv_eval.api import COLOURS, write_video

SAMPLE_DIR = Path(__file__).parent / "sample"
CLIPS = (("red", 24), ("blue", 32), ("green", 40))  # colour, frame count
# language: (config name, colour words red/blue/green/yellow, mcq question, short question, long question)
PHRASES: dict[str, tuple[str, tuple[str, str, str, str], str, str, str]] = {
    "ar": (
        "arabic",
        ("أحمر", "أزرق", "أخضر", "أصفر"),
        "ما لون الشكل في الفيديو؟",
        "ما لون الشكل المتحرك؟",
        "صف ما يحدث في الفيديو.",
    ),
    "bn": (
        "bengali",
        ("লাল", "নীল", "সবুজ", "হলুদ"),
        "ভিডিওতে আকৃতিটি কোন রঙের?",
        "চলমান আকৃতিটি কোন রঙের?",
        "ভিডিওতে কী ঘটছে বর্ণনা করুন।",
    ),
    "zh": (
        "chinese",
        ("红色", "蓝色", "绿色", "黄色"),
        "视频中的形状是什么颜色？",
        "移动的形状是什么颜色？",
        "请描述视频中发生了什么。",
    ),
    "en": (
        "english",
        ("red", "blue", "green", "yellow"),
        "What colour is the shape in the video?",
        "What colour is the moving shape?",
        "Describe what happens in the video.",
    ),
    "fr": (
        "french",
        ("rouge", "bleu", "vert", "jaune"),
        "De quelle couleur est la forme dans la vidéo ?",
        "De quelle couleur est la forme qui bouge ?",
        "Décrivez ce qui se passe dans la vidéo.",
    ),
    "de": (
        "german",
        ("rot", "blau", "grün", "gelb"),
        "Welche Farbe hat die Form im Video?",
        "Welche Farbe hat die sich bewegende Form?",
        "Beschreibe, was im Video passiert.",
    ),
    "hi": (
        "hindi",
        ("लाल", "नीला", "हरा", "पीला"),
        "वीडियो में आकृति किस रंग की है?",
        "चलती हुई आकृति किस रंग की है?",
        "वीडियो में क्या होता है, वर्णन करें।",
    ),
    "ja": (
        "japanese",
        ("赤", "青", "緑", "黄色"),
        "動画の図形は何色ですか？",
        "動いている図形は何色ですか？",
        "動画で何が起きているか説明してください。",
    ),
    "ru": (
        "russian",
        ("красный", "синий", "зелёный", "жёлтый"),
        "Какого цвета фигура в видео?",
        "Какого цвета движущаяся фигура?",
        "Опишите, что происходит в видео.",
    ),
    "si": (
        "sinhala",
        ("රතු", "නිල්", "කොළ", "කහ"),
        "වීඩියෝවේ හැඩය කුමන වර්ණයද?",
        "චලනය වන හැඩය කුමන වර්ණයද?",
        "වීඩියෝවේ සිදුවන දේ විස්තර කරන්න.",
    ),
    "es": (
        "spanish",
        ("rojo", "azul", "verde", "amarillo"),
        "¿De qué color es la forma del vídeo?",
        "¿De qué color es la forma que se mueve?",
        "Describe lo que ocurre en el vídeo.",
    ),
    "sv": (
        "swedish",
        ("röd", "blå", "grön", "gul"),
        "Vilken färg har formen i videon?",
        "Vilken färg har formen som rör sig?",
        "Beskriv vad som händer i videon.",
    ),
    "ta": (
        "tamil",
        ("சிவப்பு", "நீலம்", "பச்சை", "மஞ்சள்"),
        "வீடியோவில் உள்ள வடிவம் என்ன நிறம்?",
        "நகரும் வடிவம் என்ன நிறம்?",
        "வீடியோவில் என்ன நடக்கிறது என்பதை விவரிக்கவும்.",
    ),
    "ur": (
        "urdu",
        ("سرخ", "نیلا", "سبز", "پیلا"),
        "ویڈیو میں شکل کس رنگ کی ہے؟",
        "حرکت کرتی شکل کس رنگ کی ہے؟",
        "ویڈیو میں کیا ہو رہا ہے، بیان کریں۔",
    ),
}
CATEGORIES = ("Festivals", "Food & Cuisine", "Life Record")


def clip_frames(colour: str, count: int, size: tuple[int, int] = (96, 64)) -> list[Image.Image]:
    """A `colour` disc moving from left to right across a light background."""
    width, height = size
    radius = height // 4
    frames = []
    for index in range(count):
        image = Image.new("RGB", size, (245, 245, 240))
        x = radius + (width - 2 * radius) * index // max(1, count - 1)
        ImageDraw.Draw(image).ellipse(
            (x - radius, height // 2 - radius, x + radius, height // 2 + radius), fill=COLOURS[colour]
        )
        frames.append(image)
    return frames


def write_clips(directory: Path) -> list[str]:
    names = []
    for colour, count in CLIPS:
        name = f"{colour}_disc.mp4"
        write_video(directory / "videos" / name, clip_frames(colour, count))
        names.append(name)
    return names


def build_rows(video_names: list[str]) -> dict[str, dict[str, list[dict]]]:
    """Per language: rows of the multiple-choice config and of the open-ended config."""
    colour_order = list(COLOURS)
    configs: dict[str, dict[str, list[dict]]] = {}
    for language_index, (config_language, words, mcq, short, long) in enumerate(PHRASES.values()):
        clip = language_index % len(CLIPS)
        colour = colour_order.index(CLIPS[clip][0])
        video = video_names[clip]
        options = [words[(colour + shift) % len(words)] for shift in (0, 1, 2, 3)]
        options = options[language_index % 4 :] + options[: language_index % 4]
        configs[config_language] = {
            "mcq": [
                {
                    "id": f"{config_language}_mcq_0",
                    "video_name": video,
                    "question": mcq,
                    "options": options,
                    "answer": "ABCD"[options.index(words[colour])],
                    "category": CATEGORIES[clip],
                }
            ],
            "oe": [
                {
                    "id": f"{config_language}_oe_0",
                    "video_name": video,
                    "question": short,
                    "answer": words[colour],
                    "question_type": "short",
                    "category": CATEGORIES[clip],
                },
                {
                    "id": f"{config_language}_oe_1",
                    "video_name": video,
                    "question": long,
                    "answer": f"{words[colour]} ● ⟶",
                    "question_type": "long",
                    "category": CATEGORIES[clip],
                },
            ],
        }
    return configs


def write_vimul_folder(directory: Path, configs: dict[str, dict[str, list[dict]]]) -> None:
    """A parquet file per config under test/<language>/, and a README naming the configs (Hub style)."""
    from datasets import Dataset, Features, Sequence, Value

    text = Value("string")
    mcq_features = Features(
        {name: text for name in ("id", "video_name", "question", "answer", "category")}
        | {"options": Sequence(text)}
    )
    oe_features = Features(
        {name: text for name in ("id", "video_name", "question", "answer", "question_type", "category")}
    )
    lines = ["---", "configs:"]
    for language, kinds in configs.items():
        for kind, features in (("mcq", mcq_features), ("oe", oe_features)):
            relative = f"test/{language}/{language}_{kind}.parquet"
            (directory / relative).parent.mkdir(parents=True, exist_ok=True)
            Dataset.from_list(kinds[kind], features=features).to_parquet(str(directory / relative))
            lines += [
                f"- config_name: vimul{kind}_{language}",
                "  data_files:",
                "  - split: test",
                f"    path: {relative}",
            ]
    lines += [
        "---",
        "",
        "Synthetic offline sample of ViMUL-Bench's layout; built by tasks/vimul_bench/make_sample.py.",
        "",
    ]
    (directory / "README.md").write_text("\n".join(lines), encoding="utf-8")


def build_sample(directory: Path) -> None:
    write_vimul_folder(directory, build_rows(write_clips(directory)))


if __name__ == "__main__":
    build_sample(SAMPLE_DIR)
    print(f"wrote {SAMPLE_DIR}")
