"""bench/towervision_gpu.py's model, built on the CPU: its configuration has TowerVision-2B's
architecture (checked on the meta device, no weights), and its processor tiles images as LLaVA-NeXT."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from bench.towervision_gpu import write_model


def test_the_random_towervision_2b_has_its_architecture(tmp_path: Path) -> None:
    import torch
    from transformers import AutoConfig, AutoProcessor, LlavaNextForConditionalGeneration

    folder = write_model(tmp_path / "towervision-2b", weights=False)
    config = AutoConfig.from_pretrained(folder)
    assert (config.model_type, config.text_config.model_type) == ("llava_next", "gemma2")
    assert config.vision_config.model_type == "siglip_vision_model"
    text = config.text_config
    assert (text.hidden_size, text.num_hidden_layers, text.head_dim, text.num_key_value_heads) == (
        2304,
        26,
        256,
        4,
    )
    assert (text.attn_logit_softcapping, text.final_logit_softcapping) == (50.0, 30.0)
    assert (config.vision_config.hidden_size, config.vision_config.image_size) == (1152, 384)
    with torch.device("meta"):
        model = LlavaNextForConditionalGeneration(config)
    parameters = sum(parameter.numel() for parameter in model.parameters())
    assert 2.9e9 < parameters < 3.1e9, parameters  # Gemma-2 2B (2.6 B) + SigLIP so400m (0.4 B) + projector

    processor = AutoProcessor.from_pretrained(folder)
    text_prompt = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is it?"}]}],
        add_generation_prompt=True,
        tokenize=False,
    )
    inputs = processor(images=[Image.new("RGB", (768, 384))], text=[text_prompt], return_tensors="pt")
    image_tokens = int((inputs["input_ids"] == config.image_token_id).sum())
    assert image_tokens > 729  # more than one 27 x 27 tile: anyres tiling is on
