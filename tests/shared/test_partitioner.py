"""Our murmur2 partitioner gives every key the partition Kafka's own (and aiokafka's) gives it."""

import random

import pytest
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2

from shared.messaging.partitioner import KeyedPartitioner, murmur2, partition_of


def test_the_same_hash_as_aiokafkas_for_every_length_and_byte():
    rng = random.Random(7)
    keys = [bytes(rng.randrange(256) for _ in range(length)) for length in range(0, 130) for _ in range(20)]
    assert [murmur2(key) for key in keys] == [aiokafka_murmur2(key) for key in keys]


@pytest.mark.parametrize("key, expected", [
    # From the Java client's tests (org.apache.kafka.common.utils.UtilsTest.testMurmur2), as unsigned ints.
    (b"21", -973932308 & 0xFFFFFFFF),
    (b"foobar", -790332482 & 0xFFFFFFFF),
    (b"a-little-bit-long-string", -985981536 & 0xFFFFFFFF),
    (b"a-little-bit-longer-string", -1486304829 & 0xFFFFFFFF),
    (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971 & 0xFFFFFFFF),
    (b"abc", 479470107),
])
def test_the_java_clients_known_hashes(key, expected):
    assert murmur2(key) == expected


def test_a_key_lands_where_the_default_partitioner_puts_it():
    ours, theirs = KeyedPartitioner(), DefaultPartitioner()
    partitions = list(range(6))
    for index in range(500):
        key = f"tenant-{index}:user-{index * 7919}".encode()
        assert ours(key, partitions, partitions) == theirs(key, partitions, partitions) == partition_of(key, 6)


def test_a_record_without_a_key_goes_to_an_available_partition():
    assert KeyedPartitioner()(None, [0, 1, 2], [2]) == 2
    assert KeyedPartitioner()(None, [0, 1, 2], []) in (0, 1, 2)
