"""What GitHub's Actions runner does with a job's containers, modelled from its own source.

- `arguments`: how the runner's one `docker` argument string becomes words (.NET rules);
- `hold`: how long its health-check back-off holds a job (the model lint and the bench use);
- `containers`: a job's `services:`/`container:` as the runner holds them, and its `docker`
  argument strings;
- `job`: matrix legs and the `${{ }}` the runner evaluates before building those strings;
- `replay`: the runner's container start, health wait and clean-up on the real Docker daemon.
"""
