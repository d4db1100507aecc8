"""Kubernetes' name grammars with their exact error messages (apimachinery
`util/validation` and `api/validate/content`): label keys (qualified names), label values,
DNS-1123 subdomains, canonical decimal integers, and Go's `strconv.ParseInt` errors.

Lengths are counted in UTF-8 bytes and patterns anchored at the very end, as Go does
(`len(s)`, and `$` never matches before a trailing newline in Go's regexp).
"""

from __future__ import annotations

import re

QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
QUALIFIED_NAME_ERR = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
    "an alphanumeric character"
)
QUALIFIED_NAME_MAX = 63
LABEL_VALUE_FMT = f"({QUALIFIED_NAME_FMT})?"
LABEL_VALUE_ERR = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
    "or '.', and must start and end with an alphanumeric character"
)
LABEL_VALUE_MAX = 63
DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*"
DNS1123_SUBDOMAIN_ERR = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character"
)
DNS1123_SUBDOMAIN_MAX = 253
DECIMAL_INTEGER_ERR = "must be a valid decimal integer in canonical form"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_QUALIFIED_NAME = re.compile(QUALIFIED_NAME_FMT)
_LABEL_VALUE = re.compile(LABEL_VALUE_FMT)
_DNS1123_SUBDOMAIN = re.compile(DNS1123_SUBDOMAIN_FMT)


def _size(value: str) -> int:
    return len(value.encode("utf-8", "surrogatepass"))


def _full(pattern: re.Pattern[str], value: str) -> bool:
    return pattern.fullmatch(value) is not None


def empty_error() -> str:
    return "must be non-empty"


def max_len_error(length: int) -> str:
    return f"must be no more than {length} bytes"


def regex_error(message: str, fmt: str, *examples: str) -> str:
    if not examples:
        return f"{message} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{fmt}')"


def dns1123_subdomain_errors(value: str) -> list[str]:
    errors: list[str] = []
    if _size(value) > DNS1123_SUBDOMAIN_MAX:
        errors.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _full(_DNS1123_SUBDOMAIN, value):
        errors.append(regex_error(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errors


def qualified_name_errors(value: str) -> list[str]:
    """`IsLabelKey` (formerly `IsQualifiedName`): what `ValidateLabelName`, and so a
    toleration key, must be."""
    errors: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errors.append("prefix part " + empty_error())
        else:
            errors += ["prefix part " + m for m in dns1123_subdomain_errors(prefix)]
    else:  # the wording of content.IsLabelKey (v1.35); older releases said "a qualified name"
        return [
            "a valid label key "
            + regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errors.append("name part " + empty_error())
    elif _size(name) > QUALIFIED_NAME_MAX:
        errors.append("name part " + max_len_error(QUALIFIED_NAME_MAX))
    if not _full(_QUALIFIED_NAME, name):
        errors.append(
            "name part "
            + regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
        )
    return errors


def label_value_errors(value: str) -> list[str]:
    """`IsValidLabelValue`: what a taint value (and an Equal toleration's value) must be."""
    errors: list[str] = []
    if _size(value) > LABEL_VALUE_MAX:
        errors.append(max_len_error(LABEL_VALUE_MAX))
    if not _full(_LABEL_VALUE, value):
        errors.append(regex_error(LABEL_VALUE_ERR, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errors


def decimal_integer_errors(value: str) -> list[str]:
    """`content.IsDecimalInteger`: "0" or an optional minus and digits with no leading zero."""
    if not value:
        return [empty_error()]
    digits = value[1:] if value[0] == "-" else value
    if not digits:
        return [DECIMAL_INTEGER_ERR]
    if digits[0] == "0":
        return [] if value == "0" else [DECIMAL_INTEGER_ERR]
    if not all("0" <= c <= "9" for c in digits):
        return [DECIMAL_INTEGER_ERR]
    return []


def parse_int64(value: str) -> tuple[int | None, str | None]:
    """Go's `strconv.ParseInt(value, 10, 64)`: (the number, None) or (None, Go's message)."""
    body = value[1:] if value[:1] in ("+", "-") else value
    if not body or not all("0" <= c <= "9" for c in body):
        return None, f'strconv.ParseInt: parsing "{go_escape(value)}": invalid syntax'
    number = int(value)
    if not INT64_MIN <= number <= INT64_MAX:
        return None, f'strconv.ParseInt: parsing "{go_escape(value)}": value out of range'
    return number, None


def go_escape(text: str) -> str:
    r"""The inside of Go's `%q` (`strconv.Quote`): printable characters as they are, `"` and
    `\` escaped, control characters as `\n`, `\x00`, `\u00ad`."""
    out: list[str] = []
    for char in text:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return "".join(out)


_SHORT_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def go_quote(text: str) -> str:
    return f'"{go_escape(text)}"'
