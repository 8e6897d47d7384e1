"""What a task or model-adapter plugin may import: types, task and adapter bases, data, scoring and judge
helpers. The only tv_eval module that `tasks/` and `model_adapters/` import (import-linter enforces it).

Names resolve lazily (PEP 562), so a plugin that needs only the types does not import the scoring
libraries, and `tv-eval list tasks` stays free of torch, datasets and numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tv_eval.core.adapter import AdapterSettings, BatchCallback, ModelAdapter, ModelLoadError
    from tv_eval.core.cache_root import CACHE_DIR_ENV, cache_root
    from tv_eval.core.metrics import (
        Aggregation,
        IntervalMethod,
        MetricKind,
        MetricScale,
        MetricSpec,
        MetricSpecError,
        check_specs,
        primary_spec,
        segment_metric,
    )
    from tv_eval.core.revisions import RevisionError, resolve_model_revision
    from tv_eval.core.task import (
        LOGLIKELIHOOD,
        DatasetIdentity,
        DataSource,
        LoadedTask,
        Score,
        Task,
        TaskConfigError,
        check_option_names,
        read_task_config,
    )
    from tv_eval.core.types import (
        GenerationParams,
        ImageInput,
        ImagePart,
        Message,
        ModelIdentity,
        Request,
        Response,
        Sample,
        SampleStatus,
        TextPart,
        VideoInput,
        VideoPart,
    )
    from tv_eval.data.hub import dataset_file, image_bytes, load_split
    from tv_eval.data.languages import (
        UnknownLanguageError,
        language_from_name,
        language_info,
        normalize_language,
    )
    from tv_eval.data.synthetic import COLOURS, SHAPES, shape_image
    from tv_eval.data.tiers import TierMap
    from tv_eval.data.video import VideoDecodeError, expand_video_parts, video_input, write_video
    from tv_eval.judge.protocols import (
        JudgePrompt,
        JudgeProtocol,
        lave_prompt,
        lave_protocol,
        video_qa_prompt,
        video_qa_protocol,
    )
    from tv_eval.scoring.batch_scoring import BatchScorer
    from tv_eval.scoring.choices import (
        TruthWords,
        extract_choice,
        extract_truth,
        normalize_answer,
        parse_answer_with_options,
    )
    from tv_eval.scoring.comet_scoring import CometScorer
    from tv_eval.scoring.corpus_metrics import CorpusMetric
    from tv_eval.scoring.sacrebleu_metrics import SacrebleuMetric, check_tokenizers, corpus_spec
    from tv_eval.scoring.translation import (
        DEFAULT_PROMPT,
        METRIC_OPTIONS,
        MetricSelection,
        check_prompt_template,
        clean_hypothesis,
        parse_list,
        translation_request,
    )

_SOURCES: dict[str, str] = {
    "Aggregation": "tv_eval.core.metrics",
    "IntervalMethod": "tv_eval.core.metrics",
    "MetricKind": "tv_eval.core.metrics",
    "MetricScale": "tv_eval.core.metrics",
    "MetricSpec": "tv_eval.core.metrics",
    "MetricSpecError": "tv_eval.core.metrics",
    "check_specs": "tv_eval.core.metrics",
    "primary_spec": "tv_eval.core.metrics",
    "segment_metric": "tv_eval.core.metrics",
    "AdapterSettings": "tv_eval.core.adapter",
    "BatchCallback": "tv_eval.core.adapter",
    "ModelAdapter": "tv_eval.core.adapter",
    "ModelLoadError": "tv_eval.core.adapter",
    "DataSource": "tv_eval.core.task",
    "DatasetIdentity": "tv_eval.core.task",
    "LOGLIKELIHOOD": "tv_eval.core.task",
    "LoadedTask": "tv_eval.core.task",
    "Score": "tv_eval.core.task",
    "Task": "tv_eval.core.task",
    "TaskConfigError": "tv_eval.core.task",
    "check_option_names": "tv_eval.core.task",
    "read_task_config": "tv_eval.core.task",
    "GenerationParams": "tv_eval.core.types",
    "ImageInput": "tv_eval.core.types",
    "ImagePart": "tv_eval.core.types",
    "Message": "tv_eval.core.types",
    "ModelIdentity": "tv_eval.core.types",
    "Request": "tv_eval.core.types",
    "Response": "tv_eval.core.types",
    "Sample": "tv_eval.core.types",
    "SampleStatus": "tv_eval.core.types",
    "TextPart": "tv_eval.core.types",
    "VideoInput": "tv_eval.core.types",
    "VideoPart": "tv_eval.core.types",
    "dataset_file": "tv_eval.data.hub",
    "image_bytes": "tv_eval.data.hub",
    "load_split": "tv_eval.data.hub",
    "UnknownLanguageError": "tv_eval.data.languages",
    "language_from_name": "tv_eval.data.languages",
    "language_info": "tv_eval.data.languages",
    "normalize_language": "tv_eval.data.languages",
    "COLOURS": "tv_eval.data.synthetic",
    "SHAPES": "tv_eval.data.synthetic",
    "shape_image": "tv_eval.data.synthetic",
    "TierMap": "tv_eval.data.tiers",
    "VideoDecodeError": "tv_eval.data.video",
    "expand_video_parts": "tv_eval.data.video",
    "video_input": "tv_eval.data.video",
    "write_video": "tv_eval.data.video",
    "JudgePrompt": "tv_eval.judge.protocols",
    "JudgeProtocol": "tv_eval.judge.protocols",
    "lave_prompt": "tv_eval.judge.protocols",
    "lave_protocol": "tv_eval.judge.protocols",
    "video_qa_prompt": "tv_eval.judge.protocols",
    "video_qa_protocol": "tv_eval.judge.protocols",
    "CACHE_DIR_ENV": "tv_eval.core.cache_root",
    "cache_root": "tv_eval.core.cache_root",
    "RevisionError": "tv_eval.core.revisions",
    "resolve_model_revision": "tv_eval.core.revisions",
    "BatchScorer": "tv_eval.scoring.batch_scoring",
    "TruthWords": "tv_eval.scoring.choices",
    "extract_choice": "tv_eval.scoring.choices",
    "extract_truth": "tv_eval.scoring.choices",
    "normalize_answer": "tv_eval.scoring.choices",
    "parse_answer_with_options": "tv_eval.scoring.choices",
    "CometScorer": "tv_eval.scoring.comet_scoring",
    "CorpusMetric": "tv_eval.scoring.corpus_metrics",
    "SacrebleuMetric": "tv_eval.scoring.sacrebleu_metrics",
    "check_tokenizers": "tv_eval.scoring.sacrebleu_metrics",
    "corpus_spec": "tv_eval.scoring.sacrebleu_metrics",
    "DEFAULT_PROMPT": "tv_eval.scoring.translation",
    "METRIC_OPTIONS": "tv_eval.scoring.translation",
    "MetricSelection": "tv_eval.scoring.translation",
    "check_prompt_template": "tv_eval.scoring.translation",
    "clean_hypothesis": "tv_eval.scoring.translation",
    "parse_list": "tv_eval.scoring.translation",
    "translation_request": "tv_eval.scoring.translation",
}

__all__ = [
    "CACHE_DIR_ENV",
    "COLOURS",
    "DEFAULT_PROMPT",
    "LOGLIKELIHOOD",
    "METRIC_OPTIONS",
    "SHAPES",
    "AdapterSettings",
    "Aggregation",
    "BatchCallback",
    "BatchScorer",
    "CometScorer",
    "CorpusMetric",
    "DataSource",
    "DatasetIdentity",
    "GenerationParams",
    "ImageInput",
    "ImagePart",
    "IntervalMethod",
    "JudgePrompt",
    "JudgeProtocol",
    "LoadedTask",
    "Message",
    "MetricKind",
    "MetricScale",
    "MetricSelection",
    "MetricSpec",
    "MetricSpecError",
    "ModelAdapter",
    "ModelIdentity",
    "ModelLoadError",
    "Request",
    "Response",
    "RevisionError",
    "SacrebleuMetric",
    "Sample",
    "SampleStatus",
    "Score",
    "Task",
    "TaskConfigError",
    "TextPart",
    "TierMap",
    "TruthWords",
    "UnknownLanguageError",
    "VideoDecodeError",
    "VideoInput",
    "VideoPart",
    "cache_root",
    "check_option_names",
    "check_prompt_template",
    "check_specs",
    "check_tokenizers",
    "clean_hypothesis",
    "corpus_spec",
    "dataset_file",
    "expand_video_parts",
    "extract_choice",
    "extract_truth",
    "image_bytes",
    "language_from_name",
    "language_info",
    "lave_prompt",
    "lave_protocol",
    "load_split",
    "normalize_answer",
    "normalize_language",
    "parse_answer_with_options",
    "parse_list",
    "primary_spec",
    "read_task_config",
    "resolve_model_revision",
    "segment_metric",
    "shape_image",
    "translation_request",
    "video_input",
    "video_qa_prompt",
    "video_qa_protocol",
    "write_video",
]


def __getattr__(name: str) -> Any:
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"tv_eval.api has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
