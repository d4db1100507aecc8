"""`evictguard export vap|map`: the policy as Kubernetes' native admission policies
(`export.vap`, `export.map`), printed as YAML for `kubectl apply -f -`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from ..policy.load import resolve_policy

EXIT_OK, EXIT_ERROR = 0, 2
# ValidatingAdmissionPolicy is GA (admissionregistration.k8s.io/v1) since 1.30.
OLDEST = (1, 30)


def kubernetes_version(text: str) -> tuple[int, int]:
    parts = text.removeprefix("v").split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        raise argparse.ArgumentTypeError(f"{text!r} is not a Kubernetes version like 1.30")
    version = (int(parts[0]), int(parts[1]))
    if version < OLDEST:
        raise argparse.ArgumentTypeError(
            f"ValidatingAdmissionPolicy is served as admissionregistration.k8s.io/v1 from "
            f"Kubernetes {OLDEST[0]}.{OLDEST[1]}; {text} is older"
        )
    return version


def configure(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="what", required=True)
    vap = kinds.add_parser(
        "vap",
        help="ValidatingAdmissionPolicies and bindings (Kubernetes >= 1.30) for every rule "
        "CEL can state exactly",
    )
    _common(vap)
    vap.set_defaults(handler=cmd_vap)
    map_ = kinds.add_parser(
        "map",
        help="MutatingAdmissionPolicies and bindings (Kubernetes >= 1.34, beta; v1 from 1.36) "
        "for the fixes the policy lets the mutating webhook apply",
    )
    _common(map_, default=(1, 34))
    map_.set_defaults(handler=cmd_map)


def _common(parser: argparse.ArgumentParser, default: tuple[int, int] = OLDEST) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="policy file (default: .evictguard.yaml found upwards, else the packaged default)",
    )
    parser.add_argument(
        "--kubernetes-version",
        type=kubernetes_version,
        default=default,
        metavar="X.Y",
        help="the oldest Kubernetes version the objects must work on (default: "
        f"{_version(default)})",
    )
    parser.add_argument("--output", metavar="FILE", help="write the YAML to FILE (default: stdout)")


def cmd_vap(args: argparse.Namespace) -> int:
    from ..export.vap import export_vap

    policy = resolve_policy(args.config)
    export = export_vap(policy, args.kubernetes_version)
    header = [
        f"ValidatingAdmissionPolicies exported by evictguard from {policy.source}, for "
        f"Kubernetes >= {_version(export.kubernetes_version)}.",
        "The API server evaluates them itself (README: Native admission). Regenerate after "
        "every change of the policy.",
        f"Exported rules ({len(export.exported)}): {', '.join(export.exported) or 'none'}.",
    ]
    if export.nothing_to_check:
        header.append(
            "On, with nothing to check under this policy (no policy exported): "
            + ", ".join(export.nothing_to_check)
            + "."
        )
    if export.webhook_only:
        header.append(
            f"Webhook-only rules ({len(export.webhook_only)}), on in the policy but NOT in "
            "these objects (run the webhook or lint for them):"
        )
        header += [f"  {rule}: {why}" for rule, why in export.webhook_only]
    if _written("vap", args.output, header, export.objects) != EXIT_OK:
        return EXIT_ERROR
    if export.webhook_only:
        rules = ", ".join(rule for rule, _ in export.webhook_only)
        print(f"evictguard: export vap: webhook-only, not exported: {rules}", file=sys.stderr)
    return EXIT_OK


def cmd_map(args: argparse.Namespace) -> int:
    from ..export.map import export_map

    policy = resolve_policy(args.config)
    try:
        export = export_map(policy, args.kubernetes_version)
    except ValueError as exc:
        print(f"evictguard: export map: {exc}", file=sys.stderr)
        return EXIT_ERROR
    header = [
        f"MutatingAdmissionPolicies exported by evictguard from {policy.source} "
        f"({export.api_version}).",
        "They apply the fixes of the rules the policy marks `mutate: true`, on CREATE of "
        f"{', '.join(policy.mutate_kinds)} (admission.mutateKinds), as the mutating webhook does.",
    ]
    if export.api_version.endswith("v1beta1"):
        header.append(
            "v1beta1 is served only with the MutatingAdmissionPolicy feature gate and "
            "--runtime-config=admissionregistration.k8s.io/v1beta1=true on the API server."
        )
    header.append(
        f"Exported fixes ({len(export.exported)}): {', '.join(export.exported) or 'none'}."
    )
    if export.not_exported:
        header.append("Fixes NOT exported (the mutating webhook still applies them):")
        header += [f"  {rule}: {why}" for rule, why in export.not_exported]
    return _written("map", args.output, header, export.objects)


def _version(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def _write(output: str | None, header: Sequence[str], objects: list[dict[str, Any]]) -> None:
    import yaml

    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    text = "".join(f"# {line}\n" for line in header)
    text += yaml.dump_all(
        objects, Dumper=_NoAliases, sort_keys=False, width=2**16, explicit_start=True
    )
    if output:
        with open(output, "w", encoding="utf-8") as stream:
            stream.write(text)
    else:
        sys.stdout.write(text)


def _written(command: str, output: str | None, header: Sequence[str], objects: Any) -> int:
    """Write, or say why it could not be written (exit 2), never a traceback."""
    try:
        _write(output, header, objects)
    except OSError as exc:
        print(
            f"evictguard: export {command}: cannot write {output}: {exc.strerror}", file=sys.stderr
        )
        return EXIT_ERROR
    return EXIT_OK
