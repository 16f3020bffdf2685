"""A real systemd to start the units in: PID 1 of private pid, mount and cgroup namespaces.

Nothing on the host changes: ``/etc`` and ``/var`` are overlays whose writes land in a temp
folder, ``/opt`` and ``/run`` are private, the host's enabled units are hidden (only the journal
starts), and systemd's cgroups live under this process's own cgroup. It needs root, util-linux's
``unshare``/``nsenter``, overlayfs and ``/lib/systemd/systemd``; ``unavailable()`` says what is missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

SYSTEMD = Path("/lib/systemd/systemd")

INNER = r"""#!/bin/bash
# PID 1 of the new namespaces: build a private view of the machine, then become systemd
set -euo pipefail
S="$1"
mount --make-rprivate /
mkdir -p "$S/etc-u" "$S/etc-w" "$S/var-u" "$S/var-w" "$S/opt"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$S/etc-u,workdir=$S/etc-w" /etc
mount -t overlay overlay -o "lowerdir=/var,upperdir=$S/var-u,workdir=$S/var-w" /var
mount --bind "$S/opt" /opt
mount -t tmpfs tmpfs /run
# cgroup file systems again, now rooted at this namespace's own cgroups (unshare --cgroup)
awk '$3=="cgroup" || $3=="cgroup2" {print $2, $3, $4}' /proc/self/mounts > "$S/cgroup-mounts"
for m in $(awk '{print $1}' "$S/cgroup-mounts" | sort -r); do umount -l "$m"; done
if ! grep -q '^/sys/fs/cgroup ' "$S/cgroup-mounts"; then  # v1 or hybrid: a tmpfs holds the hierarchies
  umount -l /sys/fs/cgroup 2>/dev/null || true
  mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
fi
while read -r mp type opts; do mkdir -p "$mp"; mount -t "$type" -o "$opts" "$type" "$mp"; done < "$S/cgroup-mounts"
mountpoint -q /etc && mountpoint -q /var || { echo "overlays missing" >&2; exit 1; }
# only the journal and what the test installs: hide the host's units and mask the boot jobs
rm -rf /etc/systemd/system/*
for u in $(ls /lib/systemd/system/sysinit.target.wants/) systemd-logind.service getty.target \
         console-getty.service systemd-networkd.service systemd-resolved.service systemd-timesyncd.service; do
  [ "$u" = systemd-journald.service ] || ln -sf /dev/null "/etc/systemd/system/$u"
done
cat > /etc/systemd/system/sandbox.target <<'UNIT'
[Unit]
Description=botan-line test boot
Requires=systemd-journald.socket
After=systemd-journald.socket
UNIT
exec env -i container=botan-line-test PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  "$2" --system --unit=sandbox.target --log-target=journal
"""


def own_cgroups() -> list[Path]:
    """The cgroup folder this process is in, for every mounted hierarchy (v1, hybrid or v2)."""
    entries = [line.split(":", 2) for line in Path("/proc/self/cgroup").read_text().splitlines()]
    root = Path("/sys/fs/cgroup")
    mounts = (
        [root]
        if (root / "cgroup.procs").exists()
        else [m for m in root.iterdir() if (m / "cgroup.procs").exists()]
    )
    found = []
    for mount in mounts:
        want = {"unified"} if mount == root or mount.name == "unified" else set(mount.name.split(","))
        for _, controllers, path in entries:
            have = {c.removeprefix("name=") for c in controllers.split(",")} if controllers else {"unified"}
            if have == want:
                found.append(mount / path.lstrip("/"))
    return found


def _enter_private_cgroups(name: str) -> None:
    """In the child before exec: move into fresh sub-cgroups, which become the namespace's root."""
    for folder in own_cgroups():
        try:
            (folder / name).mkdir(exist_ok=True)
            (folder / name / "cgroup.procs").write_text(str(os.getpid()))
        except OSError:
            pass


def unavailable() -> str | None:
    """Why a sandboxed systemd cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root"
    for tool in ("unshare", "nsenter", "runuser", "useradd"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if not SYSTEMD.exists():
        return "systemd is not installed (apt install systemd)"
    if "overlay" not in Path("/proc/filesystems").read_text():
        return "overlayfs is not available"
    if Path("/proc/1/comm").read_text().strip() == "systemd":
        return "this machine runs systemd itself: its cgroups are not ours to nest a second one in"
    return None


class Sandbox:
    """A running systemd; ``run`` executes a shell command inside its namespaces."""

    def __init__(self, state: Path):
        self.state = Path(state)
        self.name = f"botan-line-test-{os.getpid()}"
        self.proc: subprocess.Popen | None = None
        self.pid1: int | None = None
        self.cgroups: list[Path] = []

    def start(self, timeout: float = 30) -> Sandbox:
        self.state.mkdir(parents=True, exist_ok=True)
        inner = self.state / "inner.sh"
        inner.write_text(INNER)
        self.cgroups = [folder / self.name for folder in own_cgroups()]
        cmd = ["unshare", "--pid", "--mount", "--cgroup", "--fork", "--mount-proc"]
        self.proc = subprocess.Popen(
            [*cmd, "bash", str(inner), str(self.state), str(SYSTEMD)],
            preexec_fn=lambda: _enter_private_cgroups(self.name),
            stdout=open(self.state / "console.log", "wb"),  # noqa: SIM115 - closed with the process
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the sandbox did not start: " + (self.state / "console.log").read_text())
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
            kids = children.read_text().split() if children.exists() else []
            if kids and Path(f"/proc/{kids[0]}/comm").read_text().strip() == "systemd":
                self.pid1 = int(kids[0])
                state = self.run("systemctl is-system-running", check=False).stdout.strip()
                if state in ("running", "degraded"):
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("systemd did not come up in the sandbox")

    def run(self, command: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        run = subprocess.run(
            ["nsenter", "-t", str(self.pid1), "-m", "-p", "--", "bash", "-c", command],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and run.returncode:
            raise AssertionError(f"{command!r} failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
        return run

    def show(self, unit: str, *props: str) -> dict[str, str]:
        out = self.run(f"systemctl show {unit} -p {','.join(props)}").stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def stop(self) -> None:
        """Stop the units (so systemd removes their PrivateTmp folders from the host's /tmp), kill the
        namespace's PID 1 (the kernel takes every process in it along), drop its cgroups."""
        if self.pid1:
            try:
                self.run("systemctl stop 'botan-line*'", check=False, timeout=60)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.kill(self.pid1, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc:
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        for _ in range(50):
            left = [top for top in self.cgroups if top.is_dir()]
            for top in left:
                for folder in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
                    try:
                        folder.rmdir()
                    except OSError:
                        pass
                try:
                    top.rmdir()
                except OSError:
                    pass
            if not [top for top in self.cgroups if top.is_dir()]:
                return
            time.sleep(0.1)
