"""Network namespaces as stand-in machines: each one is wired to the root namespace by its own
veth pair on its own /30, so a process inside reaches the root namespace only over that link
(never over loopback). Needs root and iproute2's ``ip``."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess


def unavailable() -> str | None:
    """Why namespaces cannot be made here (a skip reason), or None."""
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed (apt-get install iproute2)"
    if os.geteuid() != 0:
        return "`ip netns add` needs root"
    return None


def ip(*args: str) -> None:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if proc.returncode:
        raise RuntimeError(f"ip {' '.join(args)} failed: {proc.stderr.strip()}")


def free_subnet_base() -> str:
    """A ``10.213.N`` prefix no interface of this host uses (N random: runs never collide)."""
    used = subprocess.run(["ip", "-o", "-4", "addr"], capture_output=True, text=True, timeout=30).stdout
    for _ in range(100):
        base = f"10.213.{secrets.randbelow(256)}"
        if f" {base}." not in used:
            return base
    raise RuntimeError("no free 10.213.N.0/24 on this host")


class Namespace:
    """``nbt-<letter>-<random>``: loopback up, one veth pair to the root namespace (root end
    ``root_ip``, inside ``ip_address``), a default route through it."""

    def __init__(self, letter: str, root_ip: str, ns_ip: str, prefix: int = 30):
        tag = secrets.token_hex(3)
        self.name = f"nbt-{letter}-{tag}"
        self.root_link = f"nbt{letter}{tag}"  # interface names: at most 15 characters
        self.ns_link = f"nbt{letter}{tag}n"
        self.root_ip, self.ip_address, self.prefix = root_ip, ns_ip, prefix

    def create(self) -> "Namespace":
        ip("netns", "add", self.name)
        ip("link", "add", self.root_link, "type", "veth", "peer", "name", self.ns_link)
        ip("link", "set", self.ns_link, "netns", self.name)
        ip("addr", "add", f"{self.root_ip}/{self.prefix}", "dev", self.root_link)
        ip("link", "set", self.root_link, "up")
        inside = ("-n", self.name)
        ip(*inside, "link", "set", "lo", "up")
        ip(*inside, "addr", "add", f"{self.ip_address}/{self.prefix}", "dev", self.ns_link)
        ip(*inside, "link", "set", self.ns_link, "up")
        ip(*inside, "route", "add", "default", "via", self.root_ip)
        return self

    def command(self, *args: str) -> list[str]:
        """``args`` run inside the namespace (same user, files and environment)."""
        return ["ip", "netns", "exec", self.name, *args]

    def link(self, state: str) -> None:
        """``down``: the cable is pulled at the root end (packets vanish, nothing is refused)."""
        ip("link", "set", self.root_link, state)

    def destroy(self) -> None:
        """Remove the link and the namespace; never raises (it runs in a finally)."""
        for args in (("link", "del", self.root_link), ("netns", "del", self.name)):
            try:
                ip(*args)
            except Exception:
                pass  # already gone, or never made
