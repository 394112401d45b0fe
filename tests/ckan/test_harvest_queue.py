"""The harvest queue consumers survive idle periods on Redis."""
from __future__ import annotations

import threading
import time
import uuid

import redis

from ckanext.twin import harvest_queue


def test_harvest_queue_connection_waits_longer_than_the_socket_timeout(ckan_config):
    """A harvest consumer blocks in BLPOP while idle; redis-py 8 would give up after 5 s."""
    connection = harvest_queue.connection()
    assert connection.connection_pool.connection_kwargs["socket_timeout"] is None
    queue = f"twin-test-{uuid.uuid4()}"
    producer = redis.Redis.from_url(ckan_config["ckan.redis.url"])
    pusher = threading.Timer(6, producer.rpush, args=(queue, "job"))
    started = time.monotonic()
    pusher.start()
    try:
        assert tuple(connection.blpop([queue], timeout=30)) == (queue, "job")
    finally:
        pusher.cancel()
        producer.delete(queue)
    assert time.monotonic() - started >= 6
