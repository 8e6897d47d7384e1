"""What a task or model-adapter plugin may import: types, task and adapter bases, data, scoring and judge
helpers. The only tv_eval module that `tasks/` and `model_adapters/` import (import-linter enforces it).

Names resolve lazily (PEP 562), so a plugin that needs only the types does not import the scoring
libraries, and `tv-eval list tasks` stays free of torch, datasets and numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tv_eval.bridges.lmms_client import LmmsBridgeError, LmmsWorker, shared_worker
    from tv_eval.bridges.vllm_client import VllmBridgeError, VllmWorker
    from tv_eval.bridges.vllm_env import vllm_importable, vllm_version
    from tv_eval.core.adapter import AdapterSettings, BatchCallback, ModelAdapter, ModelLoadError
    from tv_eval.core.cache_root import CACHE_DIR_ENV, cache_root
    from tv_eval.core.devices import gpu_possible
    from tv_eval.core.interleave import IMAGE_SLOT, ImageSlotError, interleaved_content
    from tv_eval.core.io import UserFileError, read_user_text
    from tv_eval.core.managed_env import ManagedEnvError
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
    from tv_eval.core.pairs import PAIR_KEY, PARALLEL_ID, pivot_metadata
    from tv_eval.core.revisions import RevisionError, hub_model_is_local_only, resolve_model_revision
    from tv_eval.core.task import (
        DatasetIdentity,
        DataSource,
        LoadedTask,
        RequestType,
        Score,
        ScoringMode,
        SubmissionFile,
        Task,
        TaskConfigError,
        check_option_names,
        read_task_config,
    )
    from tv_eval.core.types import (
        ContinuationMeasure,
        GenerationParams,
        ImageInput,
        ImagePart,
        Message,
        ModelIdentity,
        Request,
        Response,
        Sample,
        SampleStatus,
        ScoredSample,
        TextPart,
        VideoInput,
        VideoPart,
    )
    from tv_eval.core.urls import REDACTED, is_redacted, redact_url, url_secrets
    from tv_eval.data.hub import dataset_file, image_bytes, load_split
    from tv_eval.data.images import ImageTooLargeError, decode_image, max_image_pixels, needed_side
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
    from tv_eval.scoring.choice_formats import answer_payload, strict_choice
    from tv_eval.scoring.choices import (
        OPTION_LETTERS,
        ParsedOptions,
        TruthWords,
        answer_index,
        extract_choice,
        extract_truth,
        lettered_options,
        normalize_answer,
        parse_answer_with_options,
    )
    from tv_eval.scoring.cider import CiderMetric, cider_spec
    from tv_eval.scoring.comet_scoring import CometScorer
    from tv_eval.scoring.corpus_metrics import CorpusMetric
    from tv_eval.scoring.doc_parsing import DOC_PARSING_OPERATIONS, doc_parsing_score
    from tv_eval.scoring.edit_distance import edit_distance, edit_similarity
    from tv_eval.scoring.exact_match import (
        contains_match,
        exact_match,
        fork_relaxed_match,
        lowered,
        mtvqa_form,
        robust_answer,
    )
    from tv_eval.scoring.lmms_aggregation import LmmsAggregation, item_key, lmms_corpus_spec
    from tv_eval.scoring.m3exam_answers import answer_letter, reply_letter, standardized_options
    from tv_eval.scoring.mmmu_answers import (
        multiple_choice_letter,
        open_answer_candidates,
        open_answer_correct,
    )
    from tv_eval.scoring.ocr_tokens import OcrMicroF1, f1_of, micro_f1_spec, token_counts
    from tv_eval.scoring.sacrebleu_metrics import SacrebleuMetric, check_tokenizers, corpus_spec
    from tv_eval.scoring.translation import (
        DEFAULT_PROMPT,
        METRIC_OPTIONS,
        MetricSelection,
        check_prompt_template,
        clean_hypothesis,
        parse_list,
        translation_prompt,
    )
    from tv_eval.tasking.config import TaskConfig
    from tv_eval.tasking.dataset_task import DatasetTask, GenerativeTask, LoglikelihoodTask
    from tv_eval.tasking.rows import (
        UNKNOWN_LANGUAGE,
        DataPart,
        LoadContext,
        RowReader,
        UniqueIds,
        build_sample,
        combined_identity,
        read_image,
        with_file_fingerprint,
    )
    from tv_eval.tasking.scorers import choice_score
    from tv_eval.tasking.translation import PROMPT_OPTION, TranslationMetrics, TranslationPrompt

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
    "PAIR_KEY": "tv_eval.core.pairs",
    "PARALLEL_ID": "tv_eval.core.pairs",
    "pivot_metadata": "tv_eval.core.pairs",
    "AdapterSettings": "tv_eval.core.adapter",
    "BatchCallback": "tv_eval.core.adapter",
    "ModelAdapter": "tv_eval.core.adapter",
    "ModelLoadError": "tv_eval.core.adapter",
    "DataSource": "tv_eval.core.task",
    "DatasetIdentity": "tv_eval.core.task",
    "RequestType": "tv_eval.core.task",
    "ScoringMode": "tv_eval.core.task",
    "SubmissionFile": "tv_eval.core.task",
    "LoadedTask": "tv_eval.core.task",
    "Score": "tv_eval.core.task",
    "Task": "tv_eval.core.task",
    "TaskConfigError": "tv_eval.core.task",
    "check_option_names": "tv_eval.core.task",
    "read_task_config": "tv_eval.core.task",
    "ContinuationMeasure": "tv_eval.core.types",
    "GenerationParams": "tv_eval.core.types",
    "ImageInput": "tv_eval.core.types",
    "ImagePart": "tv_eval.core.types",
    "Message": "tv_eval.core.types",
    "ModelIdentity": "tv_eval.core.types",
    "Request": "tv_eval.core.types",
    "Response": "tv_eval.core.types",
    "Sample": "tv_eval.core.types",
    "SampleStatus": "tv_eval.core.types",
    "ScoredSample": "tv_eval.core.types",
    "TextPart": "tv_eval.core.types",
    "VideoInput": "tv_eval.core.types",
    "VideoPart": "tv_eval.core.types",
    "REDACTED": "tv_eval.core.urls",
    "is_redacted": "tv_eval.core.urls",
    "redact_url": "tv_eval.core.urls",
    "url_secrets": "tv_eval.core.urls",
    "dataset_file": "tv_eval.data.hub",
    "image_bytes": "tv_eval.data.hub",
    "load_split": "tv_eval.data.hub",
    "ImageTooLargeError": "tv_eval.data.images",
    "decode_image": "tv_eval.data.images",
    "max_image_pixels": "tv_eval.data.images",
    "needed_side": "tv_eval.data.images",
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
    "gpu_possible": "tv_eval.core.devices",
    "UserFileError": "tv_eval.core.io",
    "read_user_text": "tv_eval.core.io",
    "RevisionError": "tv_eval.core.revisions",
    "resolve_model_revision": "tv_eval.core.revisions",
    "hub_model_is_local_only": "tv_eval.core.revisions",
    "BatchScorer": "tv_eval.scoring.batch_scoring",
    "answer_payload": "tv_eval.scoring.choice_formats",
    "strict_choice": "tv_eval.scoring.choice_formats",
    "OPTION_LETTERS": "tv_eval.scoring.choices",
    "TruthWords": "tv_eval.scoring.choices",
    "answer_index": "tv_eval.scoring.choices",
    "lettered_options": "tv_eval.scoring.choices",
    "extract_choice": "tv_eval.scoring.choices",
    "extract_truth": "tv_eval.scoring.choices",
    "normalize_answer": "tv_eval.scoring.choices",
    "parse_answer_with_options": "tv_eval.scoring.choices",
    "ParsedOptions": "tv_eval.scoring.choices",
    "CometScorer": "tv_eval.scoring.comet_scoring",
    "contains_match": "tv_eval.scoring.exact_match",
    "exact_match": "tv_eval.scoring.exact_match",
    "fork_relaxed_match": "tv_eval.scoring.exact_match",
    "lowered": "tv_eval.scoring.exact_match",
    "mtvqa_form": "tv_eval.scoring.exact_match",
    "robust_answer": "tv_eval.scoring.exact_match",
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
    "translation_prompt": "tv_eval.scoring.translation",
    "TaskConfig": "tv_eval.tasking.config",
    "DatasetTask": "tv_eval.tasking.dataset_task",
    "GenerativeTask": "tv_eval.tasking.dataset_task",
    "LoglikelihoodTask": "tv_eval.tasking.dataset_task",
    "UNKNOWN_LANGUAGE": "tv_eval.tasking.rows",
    "DataPart": "tv_eval.tasking.rows",
    "LoadContext": "tv_eval.tasking.rows",
    "RowReader": "tv_eval.tasking.rows",
    "UniqueIds": "tv_eval.tasking.rows",
    "build_sample": "tv_eval.tasking.rows",
    "combined_identity": "tv_eval.tasking.rows",
    "read_image": "tv_eval.tasking.rows",
    "with_file_fingerprint": "tv_eval.tasking.rows",
    "choice_score": "tv_eval.tasking.scorers",
    "PROMPT_OPTION": "tv_eval.tasking.translation",
    "TranslationMetrics": "tv_eval.tasking.translation",
    "TranslationPrompt": "tv_eval.tasking.translation",
    "answer_letter": "tv_eval.scoring.m3exam_answers",
    "reply_letter": "tv_eval.scoring.m3exam_answers",
    "standardized_options": "tv_eval.scoring.m3exam_answers",
    "multiple_choice_letter": "tv_eval.scoring.mmmu_answers",
    "open_answer_candidates": "tv_eval.scoring.mmmu_answers",
    "open_answer_correct": "tv_eval.scoring.mmmu_answers",
    "IMAGE_SLOT": "tv_eval.core.interleave",
    "ImageSlotError": "tv_eval.core.interleave",
    "interleaved_content": "tv_eval.core.interleave",
    # Captioning and OCR scoring (XM3600, CC-OCR).
    "CiderMetric": "tv_eval.scoring.cider",
    "cider_spec": "tv_eval.scoring.cider",
    "DOC_PARSING_OPERATIONS": "tv_eval.scoring.doc_parsing",
    "doc_parsing_score": "tv_eval.scoring.doc_parsing",
    "edit_distance": "tv_eval.scoring.edit_distance",
    "edit_similarity": "tv_eval.scoring.edit_distance",
    "OcrMicroF1": "tv_eval.scoring.ocr_tokens",
    "f1_of": "tv_eval.scoring.ocr_tokens",
    "micro_f1_spec": "tv_eval.scoring.ocr_tokens",
    "token_counts": "tv_eval.scoring.ocr_tokens",
    # The lmms-eval bridge.
    "LmmsBridgeError": "tv_eval.bridges.lmms_client",
    "LmmsWorker": "tv_eval.bridges.lmms_client",
    "shared_worker": "tv_eval.bridges.lmms_client",
    "ManagedEnvError": "tv_eval.core.managed_env",
    "LmmsAggregation": "tv_eval.scoring.lmms_aggregation",
    "item_key": "tv_eval.scoring.lmms_aggregation",
    "lmms_corpus_spec": "tv_eval.scoring.lmms_aggregation",
    # The vLLM backend's worker.
    "VllmBridgeError": "tv_eval.bridges.vllm_client",
    "VllmWorker": "tv_eval.bridges.vllm_client",
    "vllm_importable": "tv_eval.bridges.vllm_env",
    "vllm_version": "tv_eval.bridges.vllm_env",
}

# fmt: off
__all__ = [
    "CACHE_DIR_ENV", "COLOURS", "DEFAULT_PROMPT", "DOC_PARSING_OPERATIONS", "IMAGE_SLOT", "METRIC_OPTIONS",
    "OPTION_LETTERS", "PAIR_KEY", "PARALLEL_ID", "PROMPT_OPTION", "REDACTED", "SHAPES", "UNKNOWN_LANGUAGE",
    "AdapterSettings", "Aggregation", "BatchCallback", "BatchScorer", "CiderMetric", "CometScorer",
    "ContinuationMeasure", "CorpusMetric", "DataPart", "DataSource", "DatasetIdentity", "DatasetTask",
    "GenerationParams", "GenerativeTask", "ImageInput", "ImagePart", "ImageSlotError", "ImageTooLargeError",
    "IntervalMethod", "JudgePrompt", "JudgeProtocol", "LmmsAggregation", "LmmsBridgeError", "LmmsWorker",
    "LoadContext", "LoadedTask", "LoglikelihoodTask", "ManagedEnvError", "Message", "MetricKind",
    "MetricScale", "MetricSelection", "MetricSpec", "MetricSpecError", "ModelAdapter", "ModelIdentity",
    "ModelLoadError", "OcrMicroF1", "ParsedOptions", "Request", "RequestType", "Response", "RevisionError",
    "RowReader", "SacrebleuMetric", "Sample", "SampleStatus", "Score", "ScoredSample", "ScoringMode",
    "SubmissionFile", "Task", "TaskConfig", "TaskConfigError", "TextPart", "TierMap", "TranslationMetrics",
    "TranslationPrompt", "TruthWords", "UniqueIds", "UnknownLanguageError", "UserFileError",
    "VideoDecodeError", "VideoInput", "VideoPart", "VllmBridgeError", "VllmWorker", "answer_index",
    "answer_letter", "answer_payload", "build_sample", "cache_root", "check_option_names",
    "check_prompt_template", "check_specs", "check_tokenizers", "choice_score", "cider_spec",
    "clean_hypothesis", "combined_identity", "contains_match", "corpus_spec", "dataset_file", "decode_image",
    "doc_parsing_score", "edit_distance", "edit_similarity", "exact_match", "expand_video_parts",
    "extract_choice", "extract_truth", "f1_of", "fork_relaxed_match", "gpu_possible",
    "hub_model_is_local_only", "image_bytes", "interleaved_content", "is_redacted", "item_key",
    "language_from_name", "language_info",
    "lave_prompt", "lave_protocol", "lettered_options", "lmms_corpus_spec", "load_split", "lowered",
    "max_image_pixels", "micro_f1_spec", "mtvqa_form", "multiple_choice_letter", "needed_side",
    "normalize_answer", "normalize_language", "open_answer_candidates", "open_answer_correct",
    "parse_answer_with_options", "parse_list", "pivot_metadata", "primary_spec", "read_image",
    "read_task_config", "read_user_text", "redact_url", "reply_letter", "resolve_model_revision",
    "robust_answer", "segment_metric", "shape_image", "shared_worker", "standardized_options",
    "strict_choice", "token_counts", "translation_prompt", "url_secrets", "video_input", "video_qa_prompt",
    "video_qa_protocol", "vllm_importable", "vllm_version", "with_file_fingerprint", "write_video"
]
# fmt: on


def __getattr__(name: str) -> Any:
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"tv_eval.api has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
