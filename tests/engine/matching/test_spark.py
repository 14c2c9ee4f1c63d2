"""The batch path on Splink's Spark backend, on a local Spark (Java 17 needed).

The ``test`` extra pulls the ``spark`` one, so CI runs this (about 40 s on an idle machine,
mostly the JVM's start); a checkout without pyspark skips it.
"""

from collections.abc import Iterator

import pytest

from hoso.engine.matching import default_model, resolve_batch
from hoso.engine.matching.synthetic import generate, to_match_record

pyspark = pytest.importorskip("pyspark")


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("hoso-test")
        .config("spark.sql.shuffle.partitions", "4")  # tiny data: few partitions
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_backend_clusters_as_duckdb(spark: object) -> None:
    records = [to_match_record(r) for r in generate(120, seed=5)]
    model = default_model()
    on_spark = resolve_batch(records, model, backend="spark", spark=spark)
    on_duckdb = resolve_batch(records, model, backend="duckdb")
    assert {a.record_id: a.cluster_id for a in on_spark.assignments} == {
        a.record_id: a.cluster_id for a in on_duckdb.assignments
    }
    assert len(on_spark.clusters) < len(records)  # something was merged
    assert [(p.left_id, p.right_id) for p in on_spark.review] == [
        (p.left_id, p.right_id) for p in on_duckdb.review
    ]
