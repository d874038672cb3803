"""The kernels of a run: every report runs in a kernel of *this* Python environment."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

KERNEL_NAME = "lean-analysis-python"


def kernel_manager_class(kernel_log: Path | None = None):
    """A jupyter_client kernel manager whose every kernel is ``sys.executable -m
    ipykernel_launcher``: the current environment's Python, whatever kernelspecs the machine
    has installed (a user's ``python3`` kernelspec may point at another Python). Kernels talk
    over Unix sockets on POSIX systems. The kernel process's own stdout/stderr (start-up and
    shutdown messages, not the cells' outputs) go to ``kernel_log`` when given."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class _HereSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                name=kernel_name, display_name=f"Python ({sys.prefix})", language="python",
                resource_dir=str(Path(sys.executable).parent), metadata={},
            )

        def find_kernel_specs(self) -> dict[str, str]:
            return {KERNEL_NAME: str(Path(sys.executable).parent)}

    class HereKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self):
            return _HereSpecs(data_dir=self.data_dir)

        @default("transport")
        def _transport_default(self):
            # Unix sockets: no TCP port is opened (and no "running over TCP without
            # encryption" warning); Windows has no IPC transport.
            return "ipc" if os.name == "posix" else "tcp"

        @default("ip")
        def _ip_default(self):
            if self.transport != "ipc":
                return super()._ip_default()
            # one socket prefix per kernel in the user's private runtime folder: the stock
            # default ("kernel-ipc" in the working folder) collides when kernels start at once
            from jupyter_core.paths import jupyter_runtime_dir

            folder = Path(jupyter_runtime_dir())
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            return str(folder / f"lean-{uuid.uuid4().hex[:16]}-ipc")

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if kernel_log is None:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            kernel_log.parent.mkdir(parents=True, exist_ok=True)
            with open(kernel_log, "ab") as f:  # the child keeps its own copy of the handle
                kw.setdefault("stdout", f)
                kw.setdefault("stderr", f)
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    return HereKernelManager
