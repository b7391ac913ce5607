"""Machine formats of `redis-ci lint` for other tools: SARIF (code scanning) and GitHub
workflow commands (annotations). Text and JSON live in `render.py`, which picks among all."""
