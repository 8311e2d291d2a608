"""A local SparkSession for the Spark backend (:mod:`crmstudy.feature_defs`) and the events' Spark code.

Its own module because the session owns a resource outside the process: a temporary warehouse
folder, removed when the session stops or the process exits.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile


def spark_session(*, master: str = "local[2]", partitions: int = 4):
    """A local SparkSession sized for a laptop: few shuffle partitions, UTC, no web UI.

    Its warehouse (where ``saveAsTable`` writes) is a temporary folder, not
    ``./spark-warehouse`` in the working directory, removed when the session
    stops and, if it is never stopped, when the process exits.  A session
    already running in the process is returned as it is (``getOrCreate``).
    """
    from pyspark.sql import SparkSession

    warehouse = tempfile.mkdtemp(prefix="crmstudy-spark-warehouse-")
    atexit.register(shutil.rmtree, warehouse, True)
    active = SparkSession.getActiveSession()
    session = (
        SparkSession.builder.master(master)
        .appName("crmstudy")
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")  # pandas <-> Spark through Arrow, not row by row
        .getOrCreate()
    )
    if active is not None and session is active:  # an existing session keeps its own warehouse
        shutil.rmtree(warehouse, ignore_errors=True)
    else:
        stop = session.stop

        def stop_and_remove_warehouse() -> None:
            stop()
            shutil.rmtree(warehouse, ignore_errors=True)

        session.stop = stop_and_remove_warehouse
    return session
