"""The rule catalogue: one module per rule, listed here explicitly in code order.

Add a rule: write `rules/<rule_name>.py` (see /work/notes/LINT_CONTRACT.md), import its
class here and put it in ALL_RULES.
"""

from __future__ import annotations

from redis_ci.lint.rules.merge_key import MergeKey
from redis_ci.lint.rules.unmapped_service_port import UnmappedServicePort
from redis_ci.lint.rules.workflow_too_large import WorkflowTooLarge
from redis_ci.lint.rules.yaml_syntax_error import YamlSyntaxError

ALL_RULES = [
    YamlSyntaxError,
    MergeKey,
    WorkflowTooLarge,
    UnmappedServicePort,
]
