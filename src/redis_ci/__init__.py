"""redis-ci: Redis in CI, boringly reliable and fast."""

__version__ = "0.1.0"
