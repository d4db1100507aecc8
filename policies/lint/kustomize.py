"""kustomize trees: lint what gets deployed, report where it is written.

A folder holding a kustomization (`kustomization.yaml`, `.yml` or `Kustomization`) is built
as the user's deploy builds it (`kustomize build`, or `kubectl kustomize`), and the built
objects are linted. Each finding is placed back on the source file and line: kustomize
records each resource's origin (`buildMetadata: [originAnnotations]`, asked for through a
temporary kustomization that only lists the root, because a root's own files are never
edited) and which kustomizations patched it (`transformerAnnotations`); a value a patch sets
or deletes is reported on the patch, anything else where the resource (for a missing field,
its container) is written. Roots are the kustomizations no other one in the input uses; a
`Component` is never built alone.

Files a kustomization uses as a patch (or as generator or transformer input) are never linted
as whole objects: an image-only patch has no limits because it is not a Deployment. When no
binary is found or a build fails, the root's own message is said once and its resource files
are linted as files. Its patches are not (most are partial objects), but each object holding
pods in a patch file no root that built read is named as not checked: a workload written
whole in a patch file must not pass unnamed.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import yaml

from .. import pointer as jp
from ..engine.check import check_object, object_ref
from ..k8s.podspec import container_depth, pods_at
from ..model import (
    KUSTOMIZE_PATCH_NOT_BUILT,
    Applicability,
    ErrorCode,
    Finding,
    InputError,
    NotChecked,
    Report,
)
from ..policy.model import Policy
from ..yaml.loader import LoadedObject, LoadedSource, load_text
from ..yaml.positions import locate
from ..yaml.safety import bounded_documents, bounded_load
from ..yaml.sources import SourceText, decode
from . import across
from .directives import InlineDirectives, parse_directives
from .files import note_not_checked

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
ORIGIN = "config.kubernetes.io/origin"
TRANSFORMATIONS = "alpha.config.kubernetes.io/transformations"
BUILD_TIMEOUT = 120  # seconds per root
# kubectl's log prefix on its error line (`E1207 20:51:01.755593    9680 run.go:72] `).
_KLOG = re.compile(r"^[EWIF]\d{4} [\d:.]+\s+\d+ \S+\] ")


def kustomization_file(directory: str) -> str | None:
    for name in KUSTOMIZATION_FILES:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def _remote(entry: str) -> bool:
    return "://" in entry or entry.startswith(("github.com/", "git@", "gitlab.com/"))


@dataclass
class Patch:
    """One patch a kustomization applies: a file, or text written inline in it."""

    kustomization: str  # the kustomization file (absolute)
    file: str | None  # absolute path of a patch file, None for an inline patch
    text: str | None  # inline text
    line: int  # 1-based line of the inline text (its first line) in the kustomization
    column: int
    target: dict[str, Any] | None


@dataclass
class Kustomization:
    directory: str  # absolute
    file: str  # absolute
    kind: str = "Kustomization"
    resources: list[str] = field(default_factory=list)  # files (absolute)
    uses: list[str] = field(default_factory=list)  # kustomization folders (absolute)
    patches: list[Patch] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)  # generator/transformer input files
    error: str | None = None


def _entries(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _block_start(node: yaml.Node, text_lines: list[str]) -> tuple[int, int]:
    """(1-based line, 1-based column) where an inline patch's text begins in the file."""
    line = node.start_mark.line
    if getattr(node, "style", None) in ("|", ">") and line + 1 < len(text_lines):
        following = text_lines[line + 1]
        return line + 2, len(following) - len(following.lstrip(" ")) + 1
    return line + 1, node.start_mark.column + 1


def parse_kustomization(directory: str) -> Kustomization | None:
    path = kustomization_file(directory)
    if path is None:
        return None
    directory = os.path.abspath(directory)
    found = Kustomization(directory, os.path.abspath(path))
    try:
        with open(path, "rb") as handle:
            text, problem = decode(handle.read(), path)
        if text is None:
            raise ValueError(problem.message if problem else "cannot decode")
        node, data = next(bounded_documents(text), (None, None))
    except (OSError, ValueError, yaml.YAMLError) as exc:
        found.error = f"cannot read {path}: {exc}"
        return found
    if not isinstance(data, dict):
        found.error = f"{path} is not a mapping"
        return found
    lines = text.splitlines()
    nodes = {k.value: v for k, v in (node.value if isinstance(node, yaml.MappingNode) else [])}
    found.kind = str(data.get("kind") or "Kustomization")

    def local(entry: Any) -> str | None:
        if not isinstance(entry, str) or not entry or _remote(entry):
            return None
        return os.path.normpath(os.path.join(directory, entry))

    for key in ("resources", "bases", "components"):
        for entry in _entries(data.get(key)):
            target = local(entry)
            if target is None:
                continue
            if os.path.isdir(target):
                found.uses.append(target)
            elif os.path.isfile(target):
                (found.inputs if key == "components" else found.resources).append(target)
    for key in ("patches", "patchesJson6902", "patchesStrategicMerge"):
        for index, entry in enumerate(_entries(data.get(key))):
            entry_node = _entries_node(nodes.get(key), index)
            if isinstance(entry, str):  # patchesStrategicMerge: a path or inline YAML
                target = local(entry) if "\n" not in entry else None
                if target is not None and os.path.isfile(target):
                    found.patches.append(Patch(found.file, target, None, 0, 0, None))
                elif entry_node is not None and ("\n" in entry or ":" in entry):
                    line, column = _block_start(entry_node, lines)
                    found.patches.append(Patch(found.file, None, entry, line, column, None))
                continue
            if not isinstance(entry, dict):
                continue
            target_spec = entry.get("target") if isinstance(entry.get("target"), dict) else None
            file = local(entry.get("path"))
            if file is not None and os.path.isfile(file):
                found.patches.append(Patch(found.file, file, None, 0, 0, target_spec))
            elif isinstance(entry.get("patch"), str) and isinstance(entry_node, yaml.MappingNode):
                patch_node = next(
                    (v for k, v in entry_node.value if getattr(k, "value", None) == "patch"), None
                )
                if patch_node is not None:
                    line, column = _block_start(patch_node, lines)
                    found.patches.append(
                        Patch(found.file, None, entry["patch"], line, column, target_spec)
                    )
    # Files read as something other than resources: never linted as whole objects.
    for key in ("configMapGenerator", "secretGenerator"):
        for generator in _entries(data.get(key)):
            if not isinstance(generator, dict):
                continue
            for entry in _entries(generator.get("files")) + _entries(generator.get("envs")):
                name = entry.split("=", 1)[-1] if isinstance(entry, str) else None
                if local(name) is not None:
                    found.inputs.append(str(local(name)))
            if local(generator.get("env")) is not None:
                found.inputs.append(str(local(generator.get("env"))))
    for key in ("configurations", "crds", "generators", "transformers", "validators"):
        for entry in _entries(data.get(key)):
            target = local(entry)
            if target is not None and os.path.isfile(target):
                found.inputs.append(target)
    for entry in _entries(data.get("replacements")):
        if isinstance(entry, dict) and local(entry.get("path")) is not None:
            found.inputs.append(str(local(entry.get("path"))))
    openapi = data.get("openapi")
    if isinstance(openapi, dict) and local(openapi.get("path")) is not None:
        found.inputs.append(str(local(openapi.get("path"))))
    return found


def _entries_node(node: yaml.Node | None, index: int) -> yaml.Node | None:
    if isinstance(node, yaml.SequenceNode) and index < len(node.value):
        return node.value[index]
    return None


@dataclass
class Plan:
    """The kustomizations found, what they use, and which of them are roots."""

    kustomizations: dict[str, Kustomization] = field(default_factory=dict)  # by folder
    roots: list[str] = field(default_factory=list)  # folders, in walk order
    inputs: tuple[str, ...] = ()  # the paths the user named, as typed (for `display`)

    def display(self, path: str) -> str:
        return display_name(path, self.inputs)

    def closure(self, directory: str) -> list[Kustomization]:
        """The kustomization in `directory` and every one it uses, root first."""
        seen: dict[str, Kustomization] = {}
        stack = [directory]
        while stack:
            current = stack.pop(0)
            if current in seen or current not in self.kustomizations:
                continue
            seen[current] = self.kustomizations[current]
            stack.extend(seen[current].uses)
        return list(seen.values())

    def files_of(self, directory: str) -> set[str]:
        """Every file a root's build reads (absolute)."""
        files: set[str] = set()
        for k in self.closure(directory):
            files.add(k.file)
            files.update(k.resources, k.inputs)
            files.update(p.file for p in k.patches if p.file)
        return files

    def resources_of(self, directory: str) -> list[str]:
        """The resource files of a root's build that are not also used as patches."""
        not_objects = self.not_objects()
        out: list[str] = []
        for k in self.closure(directory):
            out.extend(f for f in k.resources if f not in not_objects and f not in out)
        return out

    def patch_files(self) -> dict[str, str]:
        """Files used as patches -> the kustomization that uses them."""
        return {p.file: k.file for k in self.kustomizations.values() for p in k.patches if p.file}

    def not_objects(self) -> dict[str, str]:
        """Files used as patches or as generator/transformer input, and the kustomization
        files themselves (apiVersion and kind are optional there) -> the kustomization."""
        found: dict[str, str] = {}
        for k in self.kustomizations.values():
            found.setdefault(k.file, k.file)
            for patch in k.patches:
                if patch.file:
                    found.setdefault(patch.file, k.file)
            for name in k.inputs:
                found.setdefault(name, k.file)
        return found


def _walk(directory: str) -> Iterator[str]:
    for root, dirs, _files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if kustomization_file(root):
            yield os.path.abspath(root)


def discover(folders: Iterable[str]) -> Plan:
    """Every kustomization under `folders`, and those they use wherever they are."""
    plan = Plan()
    found: list[str] = []
    for folder in folders:
        found.extend(d for d in _walk(folder) if d not in found)
    pending = list(found)
    while pending:
        directory = pending.pop(0)
        if directory in plan.kustomizations:
            continue
        parsed = parse_kustomization(directory)
        if parsed is None:
            continue
        plan.kustomizations[directory] = parsed
        pending.extend(parsed.uses)
    used = {u for k in plan.kustomizations.values() for u in k.uses}
    plan.roots = [
        d
        for d in found
        if d not in used and d in plan.kustomizations and plan.kustomizations[d].kind != "Component"
    ]
    return plan


# --- building ------------------------------------------------------------------------------


def find_binary(option: str | None) -> list[str] | None:
    """The command that builds a folder (the folder is appended), or None."""
    if option:
        path = shutil.which(option) or (option if os.path.isfile(option) else None)
        if path is None:
            return None
        return [path, "kustomize"] if "kubectl" in os.path.basename(path) else [path, "build"]
    if shutil.which("kustomize"):
        return [str(shutil.which("kustomize")), "build"]
    if shutil.which("kubectl"):
        return [str(shutil.which("kubectl")), "kustomize"]
    return None


@dataclass
class Built:
    root: str
    text: str | None
    error: str | None
    wrapper: str  # the temporary folder origins are relative to


def build(root: str, command: list[str]) -> Built:
    """Build `root` with origin and transformer annotations, its own files untouched: a
    temporary kustomization lists the root as its only resource (kustomize accepts a
    relative folder there, not an absolute one)."""
    wrapper = tempfile.mkdtemp(prefix="evictguard-kustomize-")
    try:
        with open(os.path.join(wrapper, "kustomization.yaml"), "w", encoding="utf-8") as out:
            yaml.safe_dump(
                {
                    "apiVersion": "kustomize.config.k8s.io/v1beta1",
                    "kind": "Kustomization",
                    "resources": [os.path.relpath(root, wrapper)],
                    "buildMetadata": ["originAnnotations", "transformerAnnotations"],
                },
                out,
            )
        try:
            proc = subprocess.run(
                [*command, wrapper],
                capture_output=True,
                text=True,
                timeout=BUILD_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Built(root, None, str(exc), wrapper)
        if proc.returncode != 0:
            lines = [
                line.strip()
                for line in proc.stderr.splitlines()
                if line.strip() and not line.startswith("# Warning")  # deprecations
            ]
            message = " ".join(_KLOG.sub("", line) for line in lines)
            return Built(root, None, _own_words(message, root, wrapper, proc.returncode), wrapper)
        return Built(root, proc.stdout, None, wrapper)
    finally:
        shutil.rmtree(wrapper, ignore_errors=True)


def _own_words(message: str, root: str, wrapper: str, code: int) -> str:
    """kustomize's message without the frames the temporary kustomization added."""
    message = message.replace(os.path.relpath(root, wrapper), root)
    for prefix, suffix in (('"command failed" err="', '"'), ('"command failed" err=< ', " >")):
        if message.startswith(prefix):
            message = message[len(prefix) :].removesuffix(suffix)
    frame = f"recursed accumulation of path '{root}': "
    if frame in message:
        message = message[message.index(frame) + len(frame) :]
    return message.removeprefix("error: ").strip() or f"exit code {code}"


# --- placing findings on sources -----------------------------------------------------------


class _Files:
    """Source files loaded once per run, with their inline directives."""

    def __init__(self) -> None:
        self.cache: dict[str, tuple[LoadedSource, InlineDirectives | None] | None] = {}

    def get(self, path: str, name: str) -> tuple[LoadedSource, InlineDirectives | None] | None:
        if path not in self.cache:
            try:
                with open(path, "rb") as handle:
                    text, _ = decode(handle.read(), name)
            except OSError:
                text = None
            if text is None:
                self.cache[path] = None
            else:
                loaded = load_text(text, name)
                directives = parse_directives(
                    loaded.text,
                    lambda line, column, d=loaded.parsed: any(
                        x.holds_text_at(line, column) for x in d
                    ),
                )
                self.cache[path] = (loaded, directives)
        return self.cache[path]


def display_name(path: str, inputs: Iterable[str] = ()) -> str:
    """A file (absolute) named as the rest of the report names it: under a folder the user
    named, that folder as typed joined with the rest (as `sources.read_sources` names what
    it reads), so one finding reached through a build and through a failed root's files is
    one; else relative to the current folder when under it, else absolute."""
    for typed in inputs:
        base = os.path.abspath(typed)
        if path == base:
            return typed
        if path.startswith(base.rstrip(os.sep) + os.sep):
            return os.path.join(typed, os.path.relpath(path, base))
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _name_matches(written: Any, built: Any) -> bool:
    return isinstance(written, str) and isinstance(built, str) and written in built


def _source_object(loaded: LoadedSource, kind: str, name: Any) -> LoadedObject | None:
    candidates = [o for o in loaded.objects if o.obj.get("kind") == kind]
    named = [
        o for o in candidates if _name_matches((o.obj.get("metadata") or {}).get("name"), name)
    ]
    if named:
        return max(named, key=lambda o: len(str(o.obj["metadata"]["name"])))
    return candidates[0] if len(candidates) == 1 else None


def _translate(built: Any, written: Any, tokens: list[str]) -> tuple[list[str], int]:
    """The pointer's tokens in the written object's terms (list items matched by `name`), and
    how many of them exist there."""
    out: list[str] = []
    depth = 0
    for token in tokens:
        if isinstance(built, list) and token.isdigit() and int(token) < len(built):
            item = built[int(token)]
            built = item
            if isinstance(item, dict) and "name" in item and isinstance(written, list):
                index = next(
                    (
                        i
                        for i, w in enumerate(written)
                        if isinstance(w, dict) and w.get("name") == item["name"]
                    ),
                    None,
                )
                if index is None:
                    return [*out, token], depth
                token = str(index)
        elif isinstance(built, dict):
            built = built.get(token)
        else:
            built = None
        out.append(token)
        if isinstance(written, dict) and token in written:
            written = written[token]
            depth += 1
        elif isinstance(written, list) and token.isdigit() and int(token) < len(written):
            written = written[int(token)]
            depth += 1
        else:
            written = None
    return out, depth


def _deleting(data: Any, tokens: list[str]) -> int | None:
    """How many tokens lead to a `$patch: delete`/`replace` or a null (a strategic-merge
    deletion) on the pointer's path, else None."""
    for depth, token in enumerate(tokens):
        if isinstance(data, dict):
            if data.get("$patch") in ("delete", "replace"):
                return depth
            if token not in data:
                return None
            data = data[token]
            if data is None:
                return depth + 1
        elif isinstance(data, list) and token.isdigit() and int(token) < len(data):
            data = data[int(token)]
        else:
            return None
    if isinstance(data, dict) and data.get("$patch") in ("delete", "replace"):
        return len(tokens)
    return None


@dataclass
class _Place:
    path: str
    name: str
    line: int
    column: int
    directives: InlineDirectives | None
    first_line: int
    last_line: int


class Placer:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.files = _Files()

    def _patches(self, root: str, transformations: Any, wrapper: str) -> list[Patch]:
        """The patches that may have touched an object, last applied first."""
        closure = self.plan.closure(root)
        by_file = {k.file: k for k in closure}
        order: list[str] = []
        try:
            entries = bounded_load(transformations) if isinstance(transformations, str) else None
        except yaml.YAMLError:
            entries = None
        if isinstance(entries, list):
            for entry in entries:
                if not isinstance(entry, dict):
                    continue
                kind = str((entry.get("configuredBy") or {}).get("kind", ""))
                where = entry.get("configuredIn")
                if "Patch" in kind and isinstance(where, str):
                    file = os.path.normpath(os.path.join(wrapper, where))
                    if file in by_file and file not in order:
                        order.append(file)
        else:
            order = [k.file for k in reversed(closure)]
        return [p for file in reversed(order) for p in reversed(by_file[file].patches)]

    def _in_patch(self, patch: Patch, obj: dict[str, Any], tokens: list[str]) -> _Place | None:
        kind = obj.get("kind")
        name = (obj.get("metadata") or {}).get("name")
        if patch.target is not None:
            if patch.target.get("kind") not in (None, kind):
                return None
            if patch.target.get("name") is not None and not _name_matches(
                patch.target.get("name"), name
            ):
                return None
        if patch.file is not None:
            got = self.files.get(patch.file, self.plan.display(patch.file))
            if got is None:
                return None
            loaded, directives = got
            documents = [(d, data) for d, data in _documents(loaded.text) if data is not None]
            path, offset, col_offset = patch.file, (0, 0), 0
        else:
            assert patch.text is not None
            documents = list(_documents(patch.text))
            got = self.files.get(patch.kustomization, self.plan.display(patch.kustomization))
            directives = got[1] if got else None
            path, offset, col_offset = patch.kustomization, (patch.line - 1, 0), patch.column - 1
        for node, data in documents:
            where: tuple[int, int] | None = None
            if isinstance(data, list):  # JSON 6902 operations
                where = _in_operations(node, data, jp.join(*tokens))
            elif isinstance(data, dict):
                if data.get("kind") not in (None, kind):
                    continue
                if patch.target is None and not _name_matches(
                    (data.get("metadata") or {}).get("name"), name
                ):
                    continue
                written, depth = _translate(obj, data, tokens)
                deleted = _deleting(data, written)
                if deleted is not None:
                    where = locate(node, written[:deleted])
                elif depth == len(tokens):
                    where = locate(node, written)
            if where is not None:
                line = where[0] + offset[0]
                column = where[1] + col_offset
                first = offset[0] + node.start_mark.line + 1
                last = offset[0] + node.end_mark.line + 1
                return _Place(path, self.plan.display(path), line, column, directives, first, last)
        return None

    def place(
        self,
        root: str,
        wrapper: str,
        obj: dict[str, Any],
        annotations: dict[str, Any],
        pointer: str,
        related: str | None = None,
    ) -> _Place | None:
        """Where the value at `pointer` is written: the patch applied last that sets or
        deletes it, else the resource's own file. `related`: a value the verdict also rests
        on (the limit a request exceeds), whose patch is the place when none writes the
        value itself."""
        tokens = jp.split(pointer)
        patches = self._patches(root, annotations.get(TRANSFORMATIONS), wrapper)
        for candidate in (tokens, jp.split(related) if related else None):
            for patch in patches if candidate is not None else ():
                place = self._in_patch(patch, obj, candidate)
                if place is not None:
                    return place
        try:
            origin = bounded_load(annotations.get(ORIGIN) or "")
        except yaml.YAMLError:
            origin = None
        if not isinstance(origin, dict) or not isinstance(origin.get("path"), str):
            return None
        if origin.get("repo"):
            return None  # a remote resource: no file here to point at
        path = os.path.normpath(os.path.join(wrapper, origin["path"]))
        got = self.files.get(path, self.plan.display(path))
        if got is None:
            return None
        loaded, directives = got
        written = _source_object(
            loaded, str(obj.get("kind")), (obj.get("metadata") or {}).get("name")
        )
        if written is None:
            return None
        translated, depth = _translate(obj, written.obj, tokens)
        container = container_depth(tokens)
        if container is not None and depth < container:
            # The container is not in the resource: a patch added it, and defines it.
            for patch in patches:
                place = self._in_patch(patch, obj, tokens[:container])
                if place is not None:
                    return place
        line, column = written.position(jp.join(*translated))
        document = written.document
        return _Place(
            path,
            self.plan.display(path),
            line,
            column,
            directives,
            document.first_line,
            document.last_line,
        )


def _documents(text: str) -> Iterator[tuple[yaml.Node, Any]]:
    try:
        yield from bounded_documents(text)
    except yaml.YAMLError:
        return


_SETTING = ("add", "replace", "remove", "copy", "move")


def _in_operations(node: yaml.Node, ops: list[Any], pointer: str) -> tuple[int, int] | None:
    """The operation that sets or removes `pointer` (or a parent of it), last one first."""
    for index in reversed(range(len(ops))):
        op = ops[index]
        if not isinstance(op, dict) or op.get("op") not in _SETTING:
            continue
        path = op.get("path")
        if not isinstance(path, str):
            continue
        if pointer == path or pointer.startswith(path + "/"):
            return locate(node, [str(index), "path"])
    return None


# A value besides the finding's own that its verdict rests on, by rule: a request exceeds a
# limit that a patch may have lowered.
RELATED = {
    "memory-request-exceeds-limit": lambda pointer: pointer.replace("/requests/", "/limits/"),
}


# --- linting roots -------------------------------------------------------------------------


@dataclass
class Builds:
    plan: Plan
    builds: list[Built] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one per root that did not build
    built: set[str] = field(default_factory=set)  # files (absolute) built roots read
    fallback: list[str] = field(default_factory=list)  # resource files of failed roots
    # Patch files of failed roots that no built root read and that are not fallback
    # resources: never applied, never linted, their objects holding pods named instead.
    unbuilt_patches: list[str] = field(default_factory=list)


def built_sources(builds: Builds) -> list[SourceText]:
    """The built streams, named by their roots: where --as-admitted finds the LimitRanges
    and Namespaces a kustomize tree deploys (as kustomize writes them: namespaced)."""
    return [
        SourceText(builds.plan.display(b.root), b.text) for b in builds.builds if b.text is not None
    ]


def _strip(obj: dict[str, Any]) -> dict[str, Any]:
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("annotations"), dict):
        return obj
    annotations = {
        k: v for k, v in metadata["annotations"].items() if k not in (ORIGIN, TRANSFORMATIONS)
    }
    metadata = {**metadata, "annotations": annotations}
    if not annotations:
        del metadata["annotations"]
    return {**obj, "metadata": metadata}


def build_roots(plan: Plan, binary: str | None = None, jobs: int = 4) -> Builds:
    """Build every root (in threads: each build is a process); a root that does not build
    is said once, with kustomize's own message, and its resource files are linted instead."""
    outcome = Builds(plan)
    if not plan.roots:
        return outcome
    command = find_binary(binary)
    if command is None:
        why = (
            f"kustomize binary {binary!r} not found"
            if binary
            else "neither kustomize nor kubectl is installed"
        )
        outcome.builds = [Built(root, None, why, "") for root in plan.roots]
    else:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            outcome.builds = list(pool.map(lambda r: build(r, command), plan.roots))
    for built in outcome.builds:
        if built.text is None:
            outcome.notes.append(
                f"{plan.display(built.root)}: kustomize build failed, linting its resource "
                f"files instead (its patches are not linted; objects with pods in them are "
                f"named not checked): {built.error}"
            )
            outcome.fallback.extend(
                f for f in plan.resources_of(built.root) if f not in outcome.fallback
            )
        else:
            outcome.built.update(plan.files_of(built.root))
    skip = outcome.built | set(outcome.fallback)
    for built in outcome.builds:
        if built.text is None:
            for k in plan.closure(built.root):
                outcome.unbuilt_patches.extend(
                    p.file
                    for p in k.patches
                    if p.file and p.file not in skip and p.file not in outcome.unbuilt_patches
                )
    return outcome


def note_unbuilt_patches(builds: Builds, policy: Policy, placer: Placer, report: Report) -> None:
    """Each object holding pods in a patch file that no root which built applied, named as
    not checked (`pods_at`: a pod spec of a known kind, or what an unknown kind holds)."""
    for path in builds.unbuilt_patches:
        got = placer.files.get(path, builds.plan.display(path))
        if got is None:
            continue  # unreadable: the failed build's note already names the root
        loaded = got[0]
        for item in loaded.objects:
            held = pods_at(item.obj, policy.extra_kinds)
            if held is None:
                continue
            pointer, seen = held
            ref = object_ref(item.obj)
            report.not_checked.append(
                NotChecked(
                    ref.api_version,
                    ref.kind,
                    ref.namespace,
                    ref.name,
                    loaded.name,
                    item.position(pointer)[0],
                    pointer,
                    KUSTOMIZE_PATCH_NOT_BUILT,
                    seen,
                )
            )


def lint_builds(
    builds: Builds, policy: Policy, admit: Any = None, into: Report | None = None
) -> Report:
    """The built objects linted, each finding placed on its source (see `Placer`); findings
    several roots share on one source line are one, naming the roots."""
    plan = builds.plan
    report = Report() if into is None else into
    report.files += len(builds.built)
    placer = Placer(plan)
    note_unbuilt_patches(builds, policy, placer, report)
    merged: dict[tuple[Any, ...], tuple[Finding, list[str]]] = {}
    for built in builds.builds:
        root_name = plan.display(built.root)
        if built.text is None:
            continue
        loaded = load_text(built.text, root_name)
        report.documents += loaded.documents
        report.errors.extend(loaded.errors)
        for item in loaded.objects:
            report.objects += 1
            annotations = ((item.obj.get("metadata") or {}).get("annotations")) or {}

            def budget_place(
                rule: str,
                pointer: str,
                built: Any = built,
                item: Any = item,
                annotations: Any = annotations,
            ) -> tuple[str, int | None, int | None] | None:
                place = placer.place(built.root, built.wrapper, item.obj, annotations, pointer)
                if place is None:  # a remote or generated resource: the root says where
                    return plan.display(plan.kustomizations[built.root].file), 1, 1
                if place.directives and place.directives.silences(
                    rule, place.line, place.first_line, place.last_line
                ):
                    return None
                return place.name, place.line, place.column

            obj = _strip(item.obj)
            report.facts.extend(across.facts(obj, root_name, root_name, policy, budget_place))
            if note_not_checked(item.obj, policy, root_name, report):
                continue  # a kind no table knows: named, if it holds pods
            explain = lambda f: f  # noqa: E731
            try:
                if admit is not None:
                    obj, explain = admit(obj, policy)
                result = check_object(obj, policy)
            except Exception as exc:  # a bug of ours: said for this object
                report.errors.append(
                    InputError(
                        root_name,
                        None,
                        f"{object_ref(obj).describe()}: internal error "
                        f"({type(exc).__name__}: {exc}); please report it",
                        code=ErrorCode.INTERNAL,
                    )
                )
                continue

            def located_at_source(
                finding: Finding,
                built: Any = built,
                item: Any = item,
                annotations: Any = annotations,
                explain: Any = explain,
            ) -> Finding | None:
                finding = explain(finding)
                place = placer.place(
                    built.root,
                    built.wrapper,
                    item.obj,
                    annotations,
                    finding.pointer,
                    RELATED.get(finding.rule, lambda _: None)(finding.pointer),
                )
                if place is None:  # a remote or generated resource: the root says where
                    kustomization = plan.display(plan.kustomizations[built.root].file)
                    return dataclasses.replace(finding, file=kustomization, line=1, column=1)
                if place.directives and place.directives.silences(
                    finding.rule, place.line, place.first_line, place.last_line
                ):
                    return None
                return dataclasses.replace(
                    finding, file=place.name, line=place.line, column=place.column
                )

            for located in result.placed(located_at_source):
                key = (located.rule, located.file, located.line, located.column)
                if key in merged:
                    if root_name not in merged[key][1]:
                        merged[key][1].append(root_name)
                else:
                    merged[key] = (located, [root_name])
    if merged and report.findings:  # a failed root's files linted alone say it once more
        keys = set(merged)
        report.findings[:] = [
            f for f in report.findings if (f.rule, f.file, f.line, f.column) not in keys
        ]
    for finding, roots in merged.values():
        if roots:
            finding = dataclasses.replace(
                finding, message=f"{finding.message} [kustomize: {', '.join(roots)}]"
            )
        report.findings.append(finding)
    return report


def roots_for_files(files: Iterable[str], search: str = ".") -> tuple[Plan, set[str]]:
    """For changed files (the pre-commit hook's arguments): the kustomizations under `search`
    whose builds read them, as a plan of those roots, and the files they cover."""
    wanted = {os.path.abspath(f) for f in files}
    plan = discover([search])
    roots = [r for r in plan.roots if plan.files_of(r) & wanted]
    covered = {f for r in roots for f in plan.files_of(r)} & wanted
    patches = set(plan.not_objects()) & wanted
    return dataclasses.replace(plan, roots=roots), covered | patches


def _git_top(start: str) -> str | None:
    current = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def plan_inputs(paths: Iterable[str]) -> tuple[Plan, set[str]]:
    """The kustomize roots a run builds and the files it then leaves to them (absolute):
    kustomizations under the folders named, and, for files named (the pre-commit hook's
    changed files), the roots in the repository (the git work tree around the current
    folder) whose builds read them. Files used as patches are in the set whether or not
    their root is built (a patch of roots that all failed is named, not linted:
    `note_unbuilt_patches`)."""
    paths = [p for p in paths if p != "-"]
    folders = [p for p in paths if os.path.isdir(p)]
    files = [p for p in paths if os.path.isfile(p)]
    plan = discover(folders) if folders else Plan()
    plan.inputs = tuple(paths)
    claimed: set[str] = set()
    if files:
        top = _git_top(os.getcwd())
        searches = [top] if top else sorted({os.path.dirname(os.path.abspath(f)) for f in files})
        for search in searches:
            found, covered = roots_for_files(files, search)
            for directory, k in found.kustomizations.items():
                plan.kustomizations.setdefault(directory, k)
            plan.roots.extend(r for r in found.roots if r not in plan.roots)
            claimed |= covered
    return plan, claimed | set(plan.not_objects())


def remaining(
    expanded: list[tuple[str, InputError | None]], claimed: set[str], outcome: Builds
) -> list[tuple[str, InputError | None]]:
    """The files still linted one by one: those no built root covered and no kustomization
    uses as a patch, plus the resource files of roots that did not build."""
    skip = claimed | outcome.built
    kept = [
        (name, error)
        for name, error in expanded
        if error is not None
        or name == "-"
        or os.path.abspath(name) not in skip
        or os.path.abspath(name) in outcome.fallback
    ]
    names = {os.path.abspath(name) for name, _ in kept}
    kept.extend((outcome.plan.display(f), None) for f in outcome.fallback if f not in names)
    return kept


def fix_notes(
    plan: Plan, policy: Policy, given: set[str], binary: str | None = None, unsafe: bool = True
) -> list[str]:
    """For `fix`: the fixable findings of the roots that build which `fix` on the files
    `given` (real paths) does not settle, and where each belongs: a kustomize patch writes
    the value (change it there by hand), or the file that writes it was not given (the
    command named asks for --unsafe-fixes where the fix is unsafe and `unsafe` is off)."""
    if not plan.roots:
        return []
    builds = build_roots(plan, binary)
    report = lint_builds(builds, policy)
    patches = {os.path.realpath(p) for p in plan.patch_files()}
    kustomizations = {os.path.realpath(k.file) for k in plan.kustomizations.values()}
    notes = []
    for finding in report.findings:
        if finding.fix is None or finding.file is None:
            continue
        flag = "" if unsafe or finding.applicability is Applicability.SAFE else " --unsafe-fixes"
        real = os.path.realpath(finding.file)
        where = f"{finding.file}:{finding.line}:{finding.column}"
        if real in patches or real in kustomizations:
            notes.append(
                f"{where}: note: {finding.rule} not fixed: a kustomize patch writes this "
                "(fix never edits a patch); change it there by hand"
            )
        elif real not in given:
            notes.append(
                f"{where}: note: {finding.rule} not fixed: it belongs in {finding.file}, "
                f"which was not given: run `evictguard fix{flag} {finding.file}`"
            )
    return notes
