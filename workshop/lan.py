"""The address phones in the room use to reach this laptop, for `make run` and the settings.

`make run` serves on every interface and puts the laptop's address on the room's network
(its LAN address) in the printed links, the QR code and the join link (WORKSHOP_PUBLIC_URL).
A loopback address (127.0.0.1, ::1, localhost) reaches only the laptop itself: the
projector warns when its join address is one.

Plain Python, no Django: scripts/run.sh runs `python -m workshop.lan HOST PORT` before the
settings exist, and the settings import `public_url_allowed` from here.
"""

import ipaddress
import socket
import sys
from urllib.parse import urlsplit

# Private addresses a UDP socket is "connected" to, only so that the system picks the
# interface it would route them through: connecting a UDP socket sends no packet. The first
# that gives a usable address wins (a laptop on a 192.168 network has no route to 10/8 and
# falls back on its default route, which is the interface wanted anyway).
PROBES = ("10.255.255.255", "192.168.255.255", "172.31.255.255")
ALL_INTERFACES = ("0.0.0.0", "::", "")


def address_usable(address: str) -> bool:
    """Whether phones on the room's network could reach this address: not loopback,
    link-local (169.254/16, fe80::/10: no DHCP answered), unspecified or multicast."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast)


def lan_address(probes: tuple[str, ...] = PROBES) -> str | None:
    """This machine's IPv4 address on its network, or None when it has none."""
    for probe in probes:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe_socket:
                probe_socket.connect((probe, 9))
                address = probe_socket.getsockname()[0]
        except OSError:  # no route to it (no network at all, or not this one)
            continue
        if address_usable(address):
            return address
    return None


def host_is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 (with or without brackets), localhost and *.localhost."""
    host = host.strip().strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_is_loopback(url: str) -> bool:
    """Whether the host of `url` is a loopback address (phones cannot reach it)."""
    return host_is_loopback(urlsplit(url).hostname or "")


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def room_base(*, host: str, port: int, lan: str | None) -> tuple[str, str]:
    """The base URL to print and to put in the QR code for `make run` bound to `host`, and a
    line to print about who can reach it ("" when phones on the network can)."""
    if host in ALL_INTERFACES:
        if lan:
            return f"http://{lan}:{port}", ""
        return (
            f"http://127.0.0.1:{port}",
            "No network address found: phones cannot reach this laptop. Join the room's Wi-Fi "
            "and run make run again; until then this address works on this laptop only.",
        )
    base = f"http://{_url_host(host)}:{port}"
    if host_is_loopback(host):
        return base, (
            f"Private rehearsal: served on {host} only, phones cannot reach it. "
            "For the room, run make run without HOST."
        )
    return base, ""


def public_url_allowed(
    public_url: str, allowed_hosts: list[str], trusted_origins: list[str]
) -> tuple[list[str], list[str]]:
    """ALLOWED_HOSTS and CSRF_TRUSTED_ORIGINS with the join address's host and origin added,
    so that the address printed and put in the QR code is one the app answers on."""
    if not public_url:
        return allowed_hosts, trusted_origins
    parts = urlsplit(public_url)
    if not parts.hostname or parts.scheme not in ("http", "https"):
        return allowed_hosts, trusted_origins
    host = _url_host(parts.hostname)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    hosts = (
        allowed_hosts if host in allowed_hosts or "*" in allowed_hosts else [*allowed_hosts, host]
    )
    origins = trusted_origins if origin in trusted_origins else [*trusted_origins, origin]
    return hosts, origins


def main(argv: list[str]) -> int:
    """`python -m workshop.lan HOST PORT`: the base URL on the first line, the note on the
    second (empty when phones can reach it)."""
    host, port = argv
    base, note = room_base(host=host, port=int(port), lan=lan_address())
    print(base)
    print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
