"""What GitHub's Actions runner does with a job's containers, modelled from its own source.

`arguments`: how the runner's one `docker` argument string is split into words (.NET rules).
"""
