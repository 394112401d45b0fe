"""Redis connections for ckanext-harvest's queue consumers that survive idle periods.

The gather and fetch consumers block in ``BLPOP`` until work arrives, but redis-py 8 gives
every connection a 5 s socket timeout, so an idle consumer dies with ``TimeoutError``.
Queue connections here block without a read timeout and use TCP keep-alive and periodic
health checks instead, so a vanished Redis is still noticed.
"""
from __future__ import annotations

import redis
from ckan.plugins.toolkit import config

from ckanext.harvest import queue

HEALTH_CHECK_INTERVAL = 30


def connection() -> redis.Redis:
    """The queue connection, from ``ckan.harvest.mq.*`` or else ``ckan.redis.url``."""
    options = dict(decode_responses=True, encoding="utf-8", socket_timeout=None,
                   socket_connect_timeout=10, socket_keepalive=True,
                   health_check_interval=HEALTH_CHECK_INTERVAL)
    host = config.get("ckan.harvest.mq.hostname")
    if not host and config.get("ckan.redis.url"):
        return redis.Redis.from_url(config["ckan.redis.url"], **options)
    return redis.Redis(
        host=host or queue.HOSTNAME,
        port=int(config.get("ckan.harvest.mq.port") or queue.REDIS_PORT),
        password=config.get("ckan.harvest.mq.password") or None,
        db=int(config.get("ckan.harvest.mq.redis_db") or queue.REDIS_DB),
        **options,
    )


def install() -> None:
    """Make ckanext-harvest open its Redis queue connections through :func:`connection`."""
    queue.get_connection_redis = connection
