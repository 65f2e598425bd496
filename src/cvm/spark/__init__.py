"""Apache Spark as the engine of a run: its session settings (:mod:`cvm.spark.settings`), the
sources a cluster reads itself (:mod:`cvm.spark.sources`) and the functions over Arrow record
batches that run on the executors (:mod:`cvm.spark.batches`).

Nothing here imports PySpark at import time; the Spark engine itself is
:func:`cvm.engine.spark_engine`.
"""
