"""The names a webhook's serving certificate must carry, checked before any key is made."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

# RFC 1123 labels, as Kubernetes requires for Service and Namespace names.
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
# A DNS SAN label: letters of either case, digits, hyphens; no leading or trailing hyphen.
_DNS_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class SubjectNames:
    """DNS and IP subject alternative names, in the order they will appear."""

    dns: tuple[str, ...]
    ips: tuple[IPAddress, ...]


def check_label(value: str, what: str) -> str:
    """A Service or Namespace name: a DNS label, or the API server cannot reach it by name."""
    if not _LABEL.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} is not a valid name (lowercase letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63 characters)"
        )
    return value


def _check_dns_name(name: str) -> str:
    labels = name.split(".")
    if labels and labels[0] == "*":  # one leading wildcard label, as TLS clients accept
        labels = labels[1:]
    if (
        not labels
        or len(name) > 253
        or not name.isascii()
        or not all(_DNS_LABEL.fullmatch(label) for label in labels)
    ):
        raise ValueError(
            f"SAN {name!r} is neither an IP address nor a valid DNS name "
            "(ASCII letters, digits, '-' and '.'; internationalised names in punycode)"
        )
    return name


def service_names(service: str, namespace: str) -> tuple[str, ...]:
    """Every name the API server may use for the Service (it dials NAME.NS.svc)."""
    check_label(service, "service")
    check_label(namespace, "namespace")
    base = f"{service}.{namespace}"
    return (service, base, f"{base}.svc", f"{base}.svc.cluster.local")


def subject_names(service: str, namespace: str, extra: Sequence[str] = ()) -> SubjectNames:
    """The Service's names plus extras, IP literals split out as IP SANs, duplicates dropped."""
    dns: list[str] = list(service_names(service, namespace))
    ips: list[IPAddress] = []
    for raw in extra:
        value = raw.strip()
        if not value:
            raise ValueError("empty SAN: give a DNS name or an IP address")
        try:
            ip = ipaddress.ip_address(value.strip("[]"))
        except ValueError:
            name = _check_dns_name(value.rstrip(".")).lower()
            if name not in dns:
                dns.append(name)
        else:
            if ip not in ips:
                ips.append(ip)
    return SubjectNames(tuple(dns), tuple(ips))
