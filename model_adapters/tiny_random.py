"""A tiny random-weight LLaVA built locally, so tests and CI exercise the real transformers path offline.

No machine here reaches the Hugging Face Hub, so the smoke-test model is built from scratch: a byte-level
BPE tokenizer trained on a small multilingual corpus (every script the benchmarks use must round-trip),
a LLaVA processor with a chat template, and a LLaVA of about 240k parameters (1 MB) from fixed seeds. The
same recipe always gives the same weights, so CI can gate on exact generations.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from model_adapters.transformers_adapter import TransformersAdapter
from tv_eval.api import AdapterSettings, ModelIdentity, cache_root

if TYPE_CHECKING:
    from transformers import LlavaConfig, LlavaProcessor, PreTrainedTokenizerFast

TINY_MODEL_NAME = "tiny-random"
TINY_MODEL_REVISION = "v1"

_SEED = 1234
_VOCAB_SIZE = 1000
_SPECIAL_TOKENS = ("<pad>", "<s>", "</s>", "<image>")
_IMAGE_SIZE = 32
_PATCH_SIZE = 8

# A few sentences per language and script, enough for the BPE merges to cover each script's common pairs.
_CORPUS = (
    "The quick brown fox jumps over the lazy dog. What is shown in this image?",
    "A man is riding a bicycle down a busy street next to a red bus.",
    "Le chat noir dort sur le canapé pendant que la pluie tombe dehors.",
    "Qu'est-ce qui est représenté sur cette image ? Répondez en une phrase.",
    "Der kleine Hund spielt im Garten mit einem gelben Ball.",
    "Was ist auf diesem Bild zu sehen? Beschreiben Sie es kurz.",
    "El mercado está lleno de frutas frescas y flores de colores.",
    "¿Qué se muestra en esta imagen? Responde con una sola palabra.",
    "O menino está a ler um livro debaixo de uma árvore grande.",
    "Какой предмет изображён на этой картинке? Ответьте одним словом.",
    "Девочка идёт в школу по заснеженной улице.",
    "ماذا يظهر في هذه الصورة؟ أجب بكلمة واحدة.",
    "يجلس الرجل في المقهى ويشرب الشاي بالنعناع.",
    "इस चित्र में क्या दिखाया गया है? एक शब्द में उत्तर दें।",
    "बच्चे पार्क में क्रिकेट खेल रहे हैं।",
    "这张图片里有什么?请用一个词回答。",
    "一位老人在公园里打太极拳。",
    "この画像には何が写っていますか?一言で答えてください。",
    "ねこがまどのそばでひなたぼっこをしています。カメラ、テレビ、コーヒー。",
    "이 사진에는 무엇이 있습니까? 한 단어로 대답하세요.",
    "아이들이 운동장에서 축구를 하고 있습니다.",
    "ในภาพนี้มีอะไรบ้าง? ตอบด้วยคำเดียว",
    "แมวกำลังนอนหลับอยู่บนโต๊ะไม้",
    "በዚህ ምስል ውስጥ ምን ይታያል? በአንድ ቃል መልስ ይስጡ።",
    "ልጆቹ በሜዳ ላይ እግር ኳስ ይጫወታሉ።",
    "මෙම රූපයේ පෙන්වන්නේ කුමක්ද? එක් වචනයකින් පිළිතුරු දෙන්න.",
    "ළමයින් පාසලට ඇවිද යති.",
    "Bu resimde ne görülüyor? Tek kelimeyle cevap verin.",
    "Τι δείχνει αυτή η εικόνα; Απαντήστε με μία λέξη.",
    "מה מוצג בתמונה הזו? ענו במילה אחת.",
    "Picha hii inaonyesha nini? Jibu kwa neno moja.",
    "Hình ảnh này cho thấy điều gì? Trả lời bằng một từ.",
)

# Handles plain-string content and list content with image and text parts, like real VLM templates.
_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ message['role'] }}: "
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<image>\n{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{{ eos_token }}\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)


def tiny_model_path() -> Path:
    """The cached tiny model, built on first use; `TV_EVAL_CACHE_DIR` relocates the cache (tests, CI)."""
    path = cache_root() / "models" / f"{TINY_MODEL_NAME}-{TINY_MODEL_REVISION}"
    if not (path / "config.json").is_file():
        build_tiny_model(path)
    return path


def build_tiny_model(directory: Path) -> Path:
    """Build the tiny model into `directory` atomically: a crash leaves either nothing or a whole model."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        _write_model(staging)
        staging.chmod(0o755)  # mkdtemp makes it private; a shared cache (CI) must stay readable.
        try:
            staging.rename(directory)
        except OSError:
            if not (directory / "config.json").is_file():
                raise
            # Another process finished the same deterministic build first; its copy is identical.
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return directory


def hub_layout_copy(source: Path, target: Path) -> Path:
    """A copy of a tiny model whose CLIP tower weights sit under `vision_tower.vision_model.`, the layout
    of LLaVA checkpoints on the Hub. transformers 5.25 saves the tower without that prefix and loads
    both layouts to the same tensors; vLLM's LLaVA loader reads only the Hub's, so the vLLM parity test
    and benchmark run both backends on this copy."""
    from safetensors.torch import load_file, save_file

    prefix, hub_prefix = "vision_tower.", "vision_tower.vision_model."
    shutil.copytree(source, target, dirs_exist_ok=True)
    weights = load_file(str(source / "model.safetensors"))
    renamed = {
        hub_prefix + name.removeprefix(prefix)
        if name.startswith(prefix) and not name.startswith(hub_prefix)
        else name: tensor
        for name, tensor in weights.items()
    }
    save_file(renamed, str(target / "model.safetensors"), metadata={"format": "pt"})
    return target


def _write_model(target: Path) -> None:
    import torch
    from transformers import LlavaForConditionalGeneration

    processor = _build_processor()
    tokenizer = processor.tokenizer
    config = _build_config(tokenizer)
    with torch.random.fork_rng(devices=[]):  # seed the weights without disturbing the caller's RNG
        torch.manual_seed(_SEED)
        model = LlavaForConditionalGeneration(config).eval()
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.save_pretrained(target)
    processor.save_pretrained(target)


def _build_processor() -> LlavaProcessor:
    from transformers import CLIPImageProcessorPil, LlavaProcessor

    image_processor = CLIPImageProcessorPil(
        size={"shortest_edge": _IMAGE_SIZE}, crop_size={"height": _IMAGE_SIZE, "width": _IMAGE_SIZE}
    )
    return LlavaProcessor(
        image_processor=image_processor,
        tokenizer=_build_tokenizer(),
        patch_size=_PATCH_SIZE,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=_CHAT_TEMPLATE,
    )


def _build_tokenizer() -> PreTrainedTokenizerFast:
    """Byte-level BPE, so any script encodes (unseen characters fall back to bytes) and decodes losslessly."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=_VOCAB_SIZE,
        special_tokens=list(_SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_CORPUS, trainer=trainer)
    pad, bos, eos, image = _SPECIAL_TOKENS
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token=pad,
        bos_token=bos,
        eos_token=eos,
        extra_special_tokens={"image_token": image},
        padding_side="left",
    )


def _build_config(tokenizer: PreTrainedTokenizerFast) -> LlavaConfig:
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig

    vision = CLIPVisionConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=_IMAGE_SIZE,
        patch_size=_PATCH_SIZE,
        projection_dim=32,
    )
    text = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    return LlavaConfig(
        vision_config=vision,
        text_config=text,
        image_token_id=tokenizer.convert_tokens_to_ids(_SPECIAL_TOKENS[3]),
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
    )


class TinyRandomAdapter(TransformersAdapter):
    """The transformers adapter on the locally built tiny model: same code path, no Hub, exact results."""

    name = "tiny_random"

    def _model_source(self) -> str:
        return str(tiny_model_path())

    @classmethod
    def resolve_revision(cls, settings: AdapterSettings) -> str | None:
        """The recipe's version: the same recipe always builds the same weights."""
        return TINY_MODEL_REVISION

    @classmethod
    def cache_identity(cls, settings: AdapterSettings) -> ModelIdentity:
        return replace(super().cache_identity(settings), model_id=TINY_MODEL_NAME)

    @property
    def identity(self) -> ModelIdentity:
        return replace(super().identity, model_id=TINY_MODEL_NAME)
