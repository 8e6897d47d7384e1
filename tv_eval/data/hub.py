"""Loading a benchmark split through `datasets`, from the Hub, a local folder or a bundled sample.

All three go through the same steps of `load_dataset` (builder, prepare, split), so tests on local
parquet exercise the code path real runs take; local files are checked before they are read (they
stay inside their folder, parquet files hold rows and agree on columns) and text after (valid
UTF-8). Images are kept encoded: decoding happens per sample in the adapter, where a corrupt file
fails one sample instead of the whole load.

Identity follows content: a Hub dataset is loaded at, and recorded with, the commit its revision
resolves to; a local folder or bundled sample gets the fingerprint of its files' bytes
(`content_fingerprint`), not the one `datasets` derives from paths and modification times.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tv_eval.core.content_digest import files_digest
from tv_eval.core.io import first_line
from tv_eval.core.revisions import resolve_hub_revision
from tv_eval.core.task import DatasetIdentity, DataSource, TaskConfigError
from tv_eval.data.data_files import DataFileError, check_local_files, check_text_columns

if TYPE_CHECKING:
    from datasets import Dataset


def load_split(
    dataset_id: str,
    split: str,
    source: DataSource,
    *,
    sample_dir: Path,
    required_columns: Sequence[str],
    image_columns: Sequence[str] = (),
    config_name: str | None = None,
) -> tuple[Dataset, DatasetIdentity]:
    import datasets

    location, label, revision = _location(dataset_id, source, sample_dir)
    try:
        dataset = _read_checked(location, label, split, config_name, revision)
    except (ValueError, OSError, ImportError, datasets.exceptions.DatasetsError) as error:
        offline = label == "hub" and not isinstance(error, DataFileError)
        hint = " (offline? use --data-dir PATH or --sample)" if offline else ""
        subset = f" config {config_name!r}" if config_name else ""
        raise TaskConfigError(
            f"cannot load {dataset_id}{subset} split {split!r} from {location}{hint}: {_reason(error)}"
        ) from error
    missing = [column for column in required_columns if column not in dataset.column_names]
    if missing:
        raise TaskConfigError(
            f"{location} lacks column(s) {', '.join(missing)} required by {dataset_id}; "
            f"it has {', '.join(dataset.column_names)}"
        )
    for column in image_columns:
        if column in dataset.column_names:  # an optional image column (xMMMU's image_7) may be absent
            dataset = dataset.cast_column(column, _encoded_image_feature(dataset.features[column]))
    return dataset, split_identity(dataset_id, split, dataset, label, location, revision)


def _encoded_image_feature(feature: object) -> object:
    """An image feature that keeps images encoded: a list of images (several per row) stays a list."""
    import datasets

    if isinstance(feature, datasets.List | datasets.Sequence):
        return datasets.List(datasets.Image(decode=False))
    return datasets.Image(decode=False)


def _read_checked(
    location: str, label: str, split: str, config_name: str | None, revision: str | None
) -> Dataset:
    """`load_dataset`'s three steps, with local files checked before they are read and text after."""
    import datasets

    builder = datasets.load_dataset_builder(location, name=config_name, revision=revision)
    if label != "hub":
        check_local_files(Path(location), builder.config.data_files or {})
    builder.download_and_prepare()
    dataset = builder.as_dataset(split=split)
    check_text_columns(dataset.data.table)
    return dataset


def _reason(error: BaseException) -> str:
    """The error's first line; for a failure inside the builder, that of its cause."""
    from datasets.exceptions import DatasetGenerationError

    if isinstance(error, DatasetGenerationError) and error.__cause__ is not None:
        return f"{type(error.__cause__).__name__}: {first_line(error.__cause__)}"
    return first_line(error)


def split_identity(
    dataset_id: str, split: str, dataset: Dataset, label: str, location: str, revision: str | None
) -> DatasetIdentity:
    """What run.json records of a loaded split: for the Hub the commit the revision resolves to and
    the fingerprint `datasets` derives from it; for local data and samples the content fingerprint."""
    hub = label == "hub"
    return DatasetIdentity(
        dataset_id=dataset_id,
        split=split,
        revision=resolve_hub_revision(dataset_id, revision, "dataset") if hub else None,
        fingerprint=dataset._fingerprint if hub else content_fingerprint(Path(location)),
        source=label if label != "local" else f"local:{location}",
        num_rows=dataset.num_rows,
    )


def _location(dataset_id: str, source: DataSource, sample_dir: Path) -> tuple[str, str, str | None]:
    """Where to load from, its label, and the Hub revision to load (None for local data)."""
    if source.revision and (source.use_sample or source.data_dir is not None):
        raise TaskConfigError(
            f"--data-revision {source.revision} applies to Hub datasets, not to --sample or --data-dir"
        )
    if source.use_sample:
        return str(sample_dir), "sample", None
    if source.data_dir is not None:
        if not source.data_dir.exists():
            raise TaskConfigError(f"data directory {source.data_dir} does not exist")
        return str(source.data_dir), "local", None
    return dataset_id, "hub", source.revision


def content_fingerprint(folder: Path) -> str:
    """The fingerprint of a local dataset folder: a digest of every file in it (hidden ones aside)
    by relative path and bytes, so copies of one folder agree wherever they lie and one changed
    byte changes it. File digests are cached by path, size and times, so large folders are read
    once."""
    root = folder.resolve()
    if root.is_file():
        return files_digest(root.parent, [root])[:16]
    files = [
        path
        for path in root.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    ]
    return files_digest(root, files)[:16]


def image_bytes(cell: object, dataset_root: Path | None) -> bytes:
    """Bytes of an encoded image cell ({'bytes', 'path'}); paths may not leave the dataset root."""
    if not isinstance(cell, dict):
        raise ValueError("missing image")
    data = cell.get("bytes")
    if data is not None and len(data) == 0:
        raise ValueError("image is empty (0 bytes)")
    if data:
        return data
    path_text = cell.get("path")
    if not path_text or dataset_root is None:
        raise ValueError("missing image")
    root = dataset_root.resolve()
    path = (root / path_text).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"image path {path_text!r} escapes the dataset folder")
    if not path.is_file():
        raise ValueError(f"image file {path_text!r} not found")
    data = path.read_bytes()
    if not data:
        raise ValueError(f"image file {path_text!r} is empty (0 bytes)")
    return data


def dataset_file(dataset_id: str, relative_path: str, source: DataSource, *, sample_dir: Path) -> Path:
    """A file the rows point to (a video), from the same source as the rows; it may not leave that source.

    Local folders and bundled samples resolve under their root; the Hub downloads the one file into
    the Hugging Face cache. A missing file raises ValueError, which the task turns into a sample error.
    """
    if not relative_path:
        raise ValueError("missing file name")
    if not source.use_sample and source.data_dir is None:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

        try:
            return Path(
                hf_hub_download(dataset_id, relative_path, repo_type="dataset", revision=source.revision)
            )
        except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as error:
            raise ValueError(f"file {relative_path!r} not available from {dataset_id}") from error
    root = (sample_dir if source.use_sample else source.data_dir).resolve()  # type: ignore[union-attr]
    path = (root / relative_path).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"file path {relative_path!r} escapes the dataset folder")
    if not path.is_file():
        raise ValueError(f"file {relative_path!r} not found")
    return path
