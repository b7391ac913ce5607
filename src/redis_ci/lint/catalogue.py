"""The rule catalogue as data: each rule's code, name, default severity, whether it is on by
default and whether it is fixable, in rules.ALL_RULES order. Selection, config checks and the
result cache's key read this instead of importing the rules (which import the model and
PyYAML): a lint whose files are all cached imports no rule.

Written by `python3 scripts/rule_catalogue.py` from rules.ALL_RULES (do not edit by hand);
tests/lint/test_catalogue.py fails when it is out of step.
"""

from __future__ import annotations


class RuleInfo:
    """What selection and the cache know of a rule (the rule class has the same attributes)."""

    __slots__ = ("code", "name", "severity", "enabled_by_default", "fixable")

    def __init__(self, code: str, name: str, severity: str, enabled_by_default: bool, fixable: bool):
        self.code, self.name, self.severity = code, name, severity
        self.enabled_by_default, self.fixable = enabled_by_default, fixable

    def __repr__(self) -> str:
        return f"RuleInfo({self.code!r}, {self.name!r})"


CATALOGUE = (
    RuleInfo('RC000', 'unused-suppression', 'warning', False, False),
    RuleInfo('RC001', 'yaml-syntax-error', 'error', True, False),
    RuleInfo('RC002', 'merge-key', 'error', True, False),
    RuleInfo('RC003', 'workflow-too-large', 'error', True, False),
    RuleInfo('RC004', 'runner-quoting', 'error', True, True),
    RuleInfo('RC101', 'no-readiness-gate', 'error', True, True),
    RuleInfo('RC102', 'fixed-sleep-gate', 'warning', True, False),
    RuleInfo('RC103', 'weak-health-check', 'warning', True, True),
    RuleInfo('RC104', 'slow-health-gate', 'warning', True, True),
    RuleInfo('RC105', 'unbounded-wait-loop', 'warning', True, False),
    RuleInfo('RC106', 'single-node-cluster-gate', 'warning', True, False),
    RuleInfo('RC107', 'tcp-only-wait', 'warning', True, False),
    RuleInfo('RC201', 'unmapped-service-port', 'error', True, True),
    RuleInfo('RC202', 'localhost-in-container-job', 'error', True, True),
    RuleInfo('RC203', 'service-label-in-runner-job', 'error', True, True),
    RuleInfo('RC204', 'port-mismatch', 'error', True, False),
    RuleInfo('RC205', 'ephemeral-port-hardcoded', 'error', True, False),
    RuleInfo('RC206', 'client-env-on-service', 'warning', True, False),
    RuleInfo('RC207', 'host-port-in-container-job', 'error', True, True),
    RuleInfo('RC301', 'services-on-non-linux', 'error', True, False),
    RuleInfo('RC302', 'overcommit-not-enabled', 'warning', True, True),
    RuleInfo('RC303', 'sysctl-in-service-options', 'error', True, False),
    RuleInfo('RC304', 'redis-cli-not-installed', 'warning', True, False),
    RuleInfo('RC305', 'fixed-container-name', 'warning', True, False),
    RuleInfo('RC401', 'unpinned-image', 'warning', True, True),
    RuleInfo('RC402', 'ignored-password-env', 'error', True, False),
    RuleInfo('RC403', 'entrypoint-bypass', 'warning', True, False),
    RuleInfo('RC404', 'unavailable-or-eol-image', 'warning', True, False),
    RuleInfo('RC405', 'unused-version-axis', 'warning', True, False),
)
