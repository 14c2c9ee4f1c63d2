from hoso.core.ids import uuid7, uuid7_batch


def test_batches_continue_the_monotonic_sequence_of_single_ids() -> None:
    before = uuid7()
    batch = uuid7_batch(10_000)  # more than the 4,096 ids a millisecond's counter holds
    after = uuid7()
    ids = [before, *batch, after]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert {u.version for u in batch} == {7}
    assert {u.variant for u in batch} == {before.variant}


def test_an_empty_batch() -> None:
    assert uuid7_batch(0) == []
