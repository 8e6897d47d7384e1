"""ALM-Bench multiple-choice rows of any count for the bench scripts: the bundled sample's, repeated
under new ids, in the dataset's own schema (so `--data-dir` reads them as it reads the real data)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SAMPLE_FILE = Path(__file__).resolve().parent.parent / "tasks/alm_bench/sample/test-00000-of-00001.parquet"


def mcq_rows(size: int) -> pa.Table:
    table = pq.read_table(SAMPLE_FILE)
    mcq = table.filter(pc.equal(table["Question_Type"], "Multiple Choice Questions"))
    rows = mcq.take([index % mcq.num_rows for index in range(size)])
    ids = [f"{original}-{index}" for index, original in enumerate(rows["ID"].to_pylist())]
    return rows.set_column(rows.schema.get_field_index("ID"), "ID", pa.array(ids))
