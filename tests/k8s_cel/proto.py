"""The message types the ported libraries need, built in Python into one descriptor pool.

cel-expr-python cannot hold a Python object in a CEL value (an ``AbstractType`` argument
fails with "Unimplemented type"), and its ``_==_`` cannot be overloaded ("declared multiple
times"). So Kubernetes' opaque ``kubernetes.Quantity`` (k8s.io/apiserver/pkg/cel/quantity.go
``QuantityType``) is a proto message of that full name holding only the exact value: proto
equality is then Go's ``Quantity.Equal`` (``Cmp == 0``), as ``200M == 0.2G`` needs.
``JSONPatch`` is the object MutatingAdmissionPolicy's JSONPatch expressions construct
(plugin/policy/mutating/patch/json_patch.go ``JSONPatchType``), its ``value`` a
``google.protobuf.Value`` so that any JSON value fits.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, struct_pb2
from google.protobuf.message import Message

_FILE = "evictguard_tests_k8s_cel.proto"
_STRING = descriptor_pb2.FieldDescriptorProto.TYPE_STRING
_MESSAGE = descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE
_OPTIONAL = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL


def _file(
    package: str, messages: dict[str, list[tuple[str, int, str]]]
) -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto(
        name=f"{package}_{_FILE}", package=package, syntax="proto3"
    )
    proto.dependency.append("google/protobuf/struct.proto")
    for name, fields in messages.items():
        message = proto.message_type.add(name=name)
        for field, number, type_name in fields:
            if type_name == "string":
                message.field.add(name=field, number=number, type=_STRING, label=_OPTIONAL)
            else:
                message.field.add(
                    name=field, number=number, type=_MESSAGE, label=_OPTIONAL, type_name=type_name
                )
    return proto


@cache
def pool() -> descriptor_pool.DescriptorPool:
    """One pool for every environment: google.protobuf.Value, kubernetes.Quantity, JSONPatch."""
    result = descriptor_pool.DescriptorPool()
    struct = descriptor_pb2.FileDescriptorProto()
    struct_pb2.DESCRIPTOR.CopyToProto(struct)
    result.Add(struct)
    result.Add(_file("kubernetes", {"Quantity": [("value", 1, "string")]}))
    # JSONPatch lives in the root package: policies write `JSONPatch{op: ..., path: ...}`.
    root = _file(
        "",
        {
            "JSONPatch": [
                ("op", 1, "string"),
                ("path", 2, "string"),
                ("from", 3, "string"),
                ("value", 4, ".google.protobuf.Value"),
            ]
        },
    )
    root.ClearField("package")
    result.Add(root)
    return result


@cache
def _quantity_class() -> type[Message]:
    return message_factory.GetMessageClass(pool().FindMessageTypeByName("kubernetes.Quantity"))


def quantity_message(value: Fraction) -> Message:
    """A ``kubernetes.Quantity`` worth ``value`` (lowest terms, so equal values are equal)."""
    return _quantity_class()(value=f"{value.numerator}/{value.denominator}")


def quantity_value(message: Message) -> Fraction:
    return Fraction(message.value)  # type: ignore[attr-defined]
