"""The rule catalogue: one module per rule, listed here explicitly in code order.

Add a rule: write `rules/<rule_name>.py` (see /work/notes/LINT_CONTRACT.md), import its
class here and put it in ALL_RULES.
"""

from __future__ import annotations

from redis_ci.lint.rules.client_env_on_service import ClientEnvOnService
from redis_ci.lint.rules.entrypoint_bypass import EntrypointBypass
from redis_ci.lint.rules.ephemeral_port_hardcoded import EphemeralPortHardcoded
from redis_ci.lint.rules.fixed_container_name import FixedContainerName
from redis_ci.lint.rules.fixed_sleep_gate import FixedSleepGate
from redis_ci.lint.rules.host_port_in_container_job import HostPortInContainerJob
from redis_ci.lint.rules.ignored_password_env import IgnoredPasswordEnv
from redis_ci.lint.rules.localhost_in_container_job import LocalhostInContainerJob
from redis_ci.lint.rules.merge_key import MergeKey
from redis_ci.lint.rules.no_readiness_gate import NoReadinessGate
from redis_ci.lint.rules.overcommit_not_enabled import OvercommitNotEnabled
from redis_ci.lint.rules.port_mismatch import PortMismatch
from redis_ci.lint.rules.redis_cli_not_installed import RedisCliNotInstalled
from redis_ci.lint.rules.runner_quoting import RunnerQuoting
from redis_ci.lint.rules.service_label_in_runner_job import ServiceLabelInRunnerJob
from redis_ci.lint.rules.services_on_non_linux import ServicesOnNonLinux
from redis_ci.lint.rules.single_node_cluster_gate import SingleNodeClusterGate
from redis_ci.lint.rules.slow_health_gate import SlowHealthGate
from redis_ci.lint.rules.sysctl_in_service_options import SysctlInServiceOptions
from redis_ci.lint.rules.tcp_only_wait import TcpOnlyWait
from redis_ci.lint.rules.unavailable_or_eol_image import UnavailableOrEolImage
from redis_ci.lint.rules.unbounded_wait_loop import UnboundedWaitLoop
from redis_ci.lint.rules.unmapped_service_port import UnmappedServicePort
from redis_ci.lint.rules.unpinned_image import UnpinnedImage
from redis_ci.lint.rules.unused_suppression import UnusedSuppression
from redis_ci.lint.rules.unused_version_axis import UnusedVersionAxis
from redis_ci.lint.rules.weak_health_check import WeakHealthCheck
from redis_ci.lint.rules.workflow_too_large import WorkflowTooLarge
from redis_ci.lint.rules.yaml_syntax_error import YamlSyntaxError

ALL_RULES = [
    UnusedSuppression,
    YamlSyntaxError,
    MergeKey,
    WorkflowTooLarge,
    RunnerQuoting,
    NoReadinessGate,
    FixedSleepGate,
    WeakHealthCheck,
    SlowHealthGate,
    UnboundedWaitLoop,
    SingleNodeClusterGate,
    TcpOnlyWait,
    UnmappedServicePort,
    LocalhostInContainerJob,
    ServiceLabelInRunnerJob,
    PortMismatch,
    EphemeralPortHardcoded,
    ClientEnvOnService,
    HostPortInContainerJob,
    ServicesOnNonLinux,
    OvercommitNotEnabled,
    SysctlInServiceOptions,
    RedisCliNotInstalled,
    FixedContainerName,
    UnpinnedImage,
    IgnoredPasswordEnv,
    EntrypointBypass,
    UnavailableOrEolImage,
    UnusedVersionAxis,
]
