"""From dataset rows to samples: reading cells by role, collecting what is wrong with a row, and the
fields every sample derives from its language. Kept apart from the task bases so loaders that do not
go through `datasets` (Multi30K's official release layout) build their samples the same way."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tv_eval.core.task import DatasetIdentity, DataSource, LoadedTask
from tv_eval.core.types import ImageInput, Sample, VideoInput
from tv_eval.data.archives import packed_file
from tv_eval.data.hub import dataset_file, image_bytes
from tv_eval.data.languages import (
    UnknownLanguageError,
    language_from_name,
    language_info,
    normalize_language,
)
from tv_eval.data.tiers import TierMap
from tv_eval.data.video import video_input

UNKNOWN_LANGUAGE = "und"


@dataclass(frozen=True)
class DataPart:
    """One split (and Hub config) of a benchmark; `attributes` carry what the task knows about it
    (the language of a per-language config, the question format)."""

    split: str
    config_name: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class LoadContext:
    """What every row of one load shares: where its files live and how languages map to tiers."""

    task: str
    dataset_id: str
    source: DataSource
    tier_map: TierMap
    sample_dir: Path
    video_hashes: dict[Path, str] = field(default_factory=dict)

    @property
    def root(self) -> Path | None:
        """The folder relative image paths resolve under (none for the Hub)."""
        return self.sample_dir if self.source.use_sample else self.source.data_dir


class UniqueIds:
    """Sample ids as the data gives them, with `#2`, `#3` appended to repeats so none is lost."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def unique(self, raw: str) -> str:
        count = self._seen[raw] = self._seen.get(raw, 0) + 1
        return raw if count == 1 else f"{raw}#{count}"


def read_image(cell: object, root: Path | None) -> tuple[ImageInput | None, str | None]:
    """An encoded image cell as an ImageInput, or the reason it cannot be one (the sample's error)."""
    try:
        return ImageInput.from_bytes(image_bytes(cell, root)), None
    except (ValueError, OSError) as error:
        return None, str(error)


def language_fields(language: str, tier_map: TierMap) -> dict[str, Any]:
    """Tier, script and (from a region subtag such as `ar-AE`) country of a sample's language."""
    subtags = language.split("-")
    return {
        "tier": tier_map.tier_of(language),
        "script": language_info(language).script if language != UNKNOWN_LANGUAGE else None,
        "country": subtags[1] if len(subtags) > 1 and len(subtags[1]) == 2 else None,
    }


def build_sample(
    context: LoadContext, sample_id: str, language: str, errors: Sequence[str], **fields: Any
) -> Sample:
    """A sample with the fields its language implies; `errors` (in the order found) become `load_error`."""
    derived = language_fields(language, context.tier_map)
    if fields.get("country") is None:
        fields.pop("country", None)
    return Sample(
        sample_id=sample_id,
        task=context.task,
        language=language,
        **{**derived, **fields},
        load_error="; ".join(errors) or None,
    )


class RowReader:
    """One dataset row on its way to a sample: cells by role, media read with their errors kept."""

    def __init__(
        self,
        context: LoadContext,
        row: Mapping[str, Any],
        columns: Mapping[str, str],
        part: DataPart,
        sample_id: str,
    ) -> None:
        self.context, self.row, self.columns, self.part, self.sample_id = (
            context,
            row,
            columns,
            part,
            sample_id,
        )
        self.errors: list[str] = []

    def cell(self, role: str) -> Any:
        return self.row[self.columns[role]]

    def optional_cell(self, role: str) -> Any:
        """The cell of a column the data may lack (the task's `optional_roles`); None where it does."""
        return self.row.get(self.columns[role])

    def text(self, role: str) -> str:
        """The cell as stripped text; an empty or missing cell is ''."""
        return str(self.cell(role) or "").strip()

    def error(self, message: str) -> None:
        self.errors.append(message)

    def language(self, value: str, *, by_name: bool = False) -> str:
        """The BCP-47 tag of a language code (or, `by_name`, an English language name); `und` with the
        reason recorded where no registry knows it."""
        try:
            return language_from_name(value) if by_name else normalize_language(value)
        except UnknownLanguageError:
            self.error(f"unknown language {'name' if by_name else 'code'} {value!r}")
            return UNKNOWN_LANGUAGE

    def image(self, role: str = "image") -> ImageInput | None:
        """The row's encoded image, or None with the reason recorded."""
        image, error = read_image(self.cell(role), self.context.root)
        if error is not None:
            self.error(error)
        return image

    def base64_image(self, role: str) -> ImageInput | None:
        """An image held as base64 text (M3Exam's columns), or None with the reason recorded."""
        try:
            return ImageInput.from_bytes(base64_image_bytes(self.cell(role)))
        except ValueError as error:
            self.error(f"{self.columns[role]}: {error}")
            return None

    def video(self, relative_path: str) -> VideoInput | None:
        """A video file the row names, from the same source as the rows, or None with the reason."""
        context = self.context
        try:
            path = dataset_file(
                context.dataset_id, relative_path, context.source, sample_dir=context.sample_dir
            )
            return video_input(path, context.video_hashes)
        except (ValueError, OSError) as error:
            self.error(f"video: {error}")
            return None

    def packed_image(self, relative_path: str, archive: str, member_prefix: str = "") -> ImageInput | None:
        """An image the row names by path, extracted or inside the dataset's `archive`; None with the
        reason recorded where it is found nowhere or does not decode."""
        context = self.context
        try:
            data = packed_file(
                context.dataset_id,
                relative_path,
                context.source,
                sample_dir=context.sample_dir,
                archive=archive,
                member_prefix=member_prefix,
            )
            if not data:
                raise ValueError(f"image {relative_path!r} is empty (0 bytes)")
            return ImageInput.from_bytes(data)
        except (ValueError, OSError) as error:
            self.error(f"image: {error}")
            return None

    def sample(self, language: str, **fields: Any) -> Sample:
        """The sample; its cluster is its image or images (questions sharing pictures), else its id."""
        fields.setdefault("cluster_id", _media_cluster(fields) or self.sample_id)
        return build_sample(self.context, self.sample_id, language, self.errors, **fields)


def _media_cluster(fields: Mapping[str, Any]) -> str | None:
    """The digest of a sample's image, or of its images' digests in order; None without images."""
    image, images = fields.get("image"), fields.get("images") or ()
    if image is not None:
        return str(image.sha256)
    if images:
        return hashlib.sha256("".join(item.sha256 for item in images).encode("ascii")).hexdigest()
    return None


def base64_image_bytes(cell: object) -> bytes:
    """The bytes of a base64-encoded image cell; an empty, undecodable or non-text cell is an error."""
    if not isinstance(cell, str) or not cell.strip():
        raise ValueError("missing image")
    try:
        data = base64.b64decode(cell.strip(), validate=True)
    except binascii.Error as error:
        raise ValueError(f"image is not valid base64: {error}") from error
    if not data:
        raise ValueError("image is empty (0 bytes)")
    return data


def combined_identity(identities: Sequence[DatasetIdentity]) -> DatasetIdentity:
    """One identity for a benchmark read from several splits or configs: their fingerprints hashed
    together (in order), their distinct split names joined, their rows summed."""
    if len(identities) == 1:
        return identities[0]
    first = identities[0]
    fingerprint = hashlib.sha256("".join(item.fingerprint for item in identities).encode()).hexdigest()[:16]
    return DatasetIdentity(
        dataset_id=first.dataset_id,
        split=",".join(dict.fromkeys(item.split for item in identities)),
        revision=first.revision,
        fingerprint=fingerprint,
        source=first.source,
        num_rows=sum(item.num_rows for item in identities),
    )


def with_file_fingerprint(loaded: LoadedTask, path: Path) -> LoadedTask:
    """The load with a file it was read with (references kept apart from the rows) folded into its
    fingerprint, so runs against different files never look like runs on the same data."""
    combined = hashlib.sha256(loaded.dataset.fingerprint.encode("utf-8") + path.read_bytes())
    return replace(loaded, dataset=replace(loaded.dataset, fingerprint=combined.hexdigest()[:16]))
