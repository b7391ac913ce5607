"""`redis-ci start`, `stop` and `run`: a throwaway Redis on this machine, gated like `wait`.

Standard library only (the action runs it from its checkout with the runner's bare python3).

- `options`: the flags `start` and `run` share, parsed into a `Plan`.
- `ports`: picking and checking ports.
- `state`: the state directory recording what each instance started (so `stop` removes exactly that).
- `nodes`: the redis.conf lines of each node of a topology (single, cluster, sentinel).
- `native` / `docker`: how a node's process or container is started and stopped.
- `cluster_setup`: forming a cluster (MEET, slots, replicas) over RESP, no redis-cli needed.
- `lifecycle`: start a plan, gate it, verify the server is ours; stop an instance.
- `gate`: the `wait` probe in-process, and the check that the server answering is the one started.
- `output`: env, json and github renderings of what a client needs.
"""
