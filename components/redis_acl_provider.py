"""The name every stack's state knows the Redis ACL dynamic provider by (see components/redis/provider.py,
STATE_MODULE): Pulumi unpickles `components.redis_acl_provider.RedisAclProvider` from the state. Keep it."""

from components.redis.provider import RedisAclProvider

__all__ = ["RedisAclProvider"]
