"""A function over Arrow record batches, applied by Spark on the executors (``mapInArrow``).

:meth:`cvm.engine.Engine.map_batches` calls :func:`map_in_arrow` on the Spark engine: the
function and what it closes over are pickled to the executors, each task streams its partition
through it batch by batch, and the result stays on the cluster as a table the next expressions
read. Nothing reaches the driver.
"""

from __future__ import annotations

import itertools
from typing import Callable, Iterator

import pyarrow as pa

__all__ = ["map_in_arrow", "write_parquet", "spark_frame", "batch_function", "Checkpoint"]

_names = itertools.count(1)


def spark_frame(expr):
    """The PySpark DataFrame of an Ibis expression on the PySpark backend (nothing is run)."""
    backend = expr._find_backend()
    backend._run_pre_execute_hooks(expr)
    return backend._session.sql(backend.compile(expr))


def batch_function(function: Callable[[pa.RecordBatch], pa.RecordBatch], schema: pa.Schema):
    """Every non-empty batch of a stream through ``function``, each output checked to keep its
    rows and cast to ``schema``: the executors' side on Spark (which checks the batches' types
    against the schema), and the DuckDB engine's stream."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            out = function(batch)
            if out.num_rows != batch.num_rows:
                raise ValueError(f"a batch of {batch.num_rows} rows gave {out.num_rows} rows")
            yield pa.RecordBatch.from_arrays(
                [out.column(f.name).cast(f.type) for f in schema], schema=schema)

    return run


def map_in_arrow(engine, expr, function: Callable[[pa.RecordBatch], pa.RecordBatch],
                 schema: pa.Schema):
    """``function`` over the record batches of the Ibis expression ``expr`` on the executors;
    the result as an Ibis table on the Spark backend (computed when read)."""
    from pyspark.sql.pandas.types import from_arrow_schema


    frame = spark_frame(expr).mapInArrow(batch_function(function, schema), from_arrow_schema(schema))
    name = f"cvm_batches_{next(_names)}"
    frame.createOrReplaceTempView(name)
    return engine.backend.table(name)


def write_parquet(expr, path: str, schema: pa.Schema | None = None) -> None:
    """The rows of ``expr`` as a folder of Parquet part files at ``path``, written by the
    executors (one file per partition); with ``schema``, each column is written with its type
    there (Spark computes some columns with its own types: 32-bit counts, for example)."""
    frame = spark_frame(expr)
    if schema is not None:
        from pyspark.sql import functions as F
        from pyspark.sql.pandas.types import from_arrow_type

        frame = frame.select([F.col(f"`{f.name}`").cast(from_arrow_type(f.type)).alias(f.name)
                              for f in schema])
    frame.write.mode("overwrite").parquet(str(path))


class Checkpoint:
    """The rows of an Ibis expression computed now and kept by the executors
    (``localCheckpoint``), as a table whose plan starts from them.

    What :meth:`cvm.engine.Engine.cache` makes on Spark. A cached DataFrame (``cache()``) keeps
    its whole lineage in its plan: each stage of a run reads the previous stage's table, and the
    plan, and the text Spark writes of it at each query, grows with every stage; a checkpoint
    cuts it. The rows live in the executors' block stores: an executor lost during the run
    loses them, and the run fails rather than recomputing them."""

    def __init__(self, engine, expr):
        self.frame = spark_frame(expr).localCheckpoint(eager=True)
        self.name = f"cvm_checkpoint_{next(_names)}"
        self.frame.createOrReplaceTempView(self.name)
        self.table = engine.backend.table(self.name)

    def release(self) -> None:
        self.frame.sparkSession.catalog.dropTempView(self.name)
        self.frame.unpersist()
