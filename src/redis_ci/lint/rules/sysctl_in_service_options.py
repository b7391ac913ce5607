"""RC303 sysctl-in-service-options."""

from __future__ import annotations

from redis_ci.lint.rule import Rule


class SysctlInServiceOptions(Rule):
    """`--sysctl vm.*` in service options: Docker refuses it and the service never starts.

    ## What it does
    Reports `--sysctl vm.<name>=...` in the `options:` of any service (usually
    `vm.overcommit_memory=1`, which Redis asks for in its startup warning).

    ## Why is this bad?
    `vm.*` settings belong to the host kernel, not to a container's namespace: Docker
    refuses them ("sysctl ... is not whitelisted" / "not allowed"), the service container
    is never created and the job fails before its first step.

    ## Example
    ```yaml
    services:
      redis:
        image: redis:8.2
        options: --sysctl vm.overcommit_memory=1
    ```

    ## Use instead
    In a runner job, set it on the host in a step (it applies to the running service too;
    this project's action does it for you):
    ```yaml
    steps:
      - run: sudo sysctl -w vm.overcommit_memory=1
    ```
    In a container job the host is out of reach: switch snapshots off instead
    (`command: redis-server --save ""`).

    ## Fix safety
    No automatic fix.
    """

    code = "RC303"
    name = "sysctl-in-service-options"
    triggers = ((b"services", b"sysctl", b"vm."),)  # any service's `--sysctl vm.*`
    severity = "error"
    fixable = False

    def check_job(self, job, workflow):
        for service in job.services:
            for sysctl in service.options.sysctls:
                if sysctl.strip().startswith("vm."):
                    yield self.finding(
                        f"`--sysctl {sysctl}` in the options of service `{service.label}`: Docker refuses "
                        f"vm.* sysctls, so the service never starts; run `sudo sysctl -w {sysctl}` in a step instead",
                        service.options.span_of("--sysctl"),
                        label=service.label,
                    )
