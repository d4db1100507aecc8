"""JSON read as Go's `encoding/json` reads it, with Go's error texts.

The API server decodes some annotations with `json.Unmarshal` and puts `err.Error()` into
the field error it returns (`ValidateTolerationsInPodAnnotations`), so a linter that means
to say what the API server says needs Go's words, not Python's. Ported from
golang/go `src/encoding/json` (v1, the default without GOEXPERIMENT=jsonv2; Kubernetes
1.35 is built with Go 1.25):

- `scanner.go` `checkValid`: `Unmarshal` first checks the whole input is well-formed, byte
  by byte, before it decodes anything, so a syntax error anywhere wins over a type error.
  The messages are `invalid character 'x' <context>` (`quoteChar`: the byte as a Go
  character literal; a byte of a multi-byte UTF-8 character is read as Latin-1, hence
  `'Ã'` for a stray `é`) and `unexpected end of JSON input`. At the end the scanner is fed one
  more space (`eof`), so `-` alone is `invalid character ' ' in numeric literal`. Nesting
  deeper than 10000 is `exceeded max depth`.
- `decode.go`: a well-formed document is then decoded. Strings with invalid surrogate
  escapes get U+FFFD. Numbers keep their literal text (`Number`), which the caller needs
  for `UnmarshalTypeError` (`number 1.5`). Objects keep their members in order, duplicate
  keys and all: Go assigns them one after another, so the last one wins.

`parse` returns plain Python values: `list`, `Members` (an object), `str`, `Number`, `bool`
and `None`. It never recurses, so deep input cannot exhaust Python's stack.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .labels import go_escape

MAX_NESTING_DEPTH = 10000  # scanner.go maxNestingDepth
UNEXPECTED_END = "unexpected end of JSON input"


class GoJSONError(ValueError):
    """A syntax error, with Go's message (`SyntaxError.Error()`)."""


class Number(str):
    """A JSON number's literal text, as Go's decoder sees it before converting it."""


class Members(list):  # type: ignore[type-arg]
    """A JSON object: its (key, value) members in order, duplicates kept."""


def quote_char(byte: int) -> str:
    """scanner.go `quoteChar`: `'x'`, `'\\''`, `'"'`, `'\\n'`, `'\\x00'`, `'Ã'`."""
    if byte == 0x27:
        return "'\\''"
    if byte == 0x22:
        return "'\"'"
    return "'" + go_escape(chr(byte)) + "'"  # Go's string(c) of a byte: the rune U+00XX


# The scanner's states (scanner.go): the function names, as integers.
(
    BEGIN_VALUE,
    BEGIN_VALUE_OR_EMPTY,
    BEGIN_STRING_OR_EMPTY,
    BEGIN_STRING,
    END_VALUE,
    END_TOP,
    IN_STRING,
    IN_STRING_ESC,
    ESC_U,
    ESC_U1,
    ESC_U12,
    ESC_U123,
    NEG,
    ONE,
    ZERO,
    DOT,
    DOT0,
    E,
    E_SIGN,
    E0,
    LITERAL,  # stateT, stateTr, ..., stateNul
    ERROR,
) = range(22)
_LITERALS = {  # the letters that must follow the first one
    ord("t"): b"rue",
    ord("f"): b"alse",
    ord("n"): b"ull",
}
_LITERAL_NAMES = {ord("t"): "true", ord("f"): "false", ord("n"): "null"}
PARSE_OBJECT_KEY, PARSE_OBJECT_VALUE, PARSE_ARRAY_VALUE = range(3)
_SPACE = frozenset(b" \t\r\n")
_DIGITS = frozenset(b"0123456789")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_STRING_RUN = re.compile(rb'[^"\\\x00-\x1f]*')
_SPACE_RUN = re.compile(rb"[ \t\r\n]*")


class _Scanner:
    """scanner.go's state machine, fed one byte at a time (`step`)."""

    def __init__(self) -> None:
        self.state = BEGIN_VALUE
        self.parse_state: list[int] = []
        self.end_top = False
        self.error: str | None = None
        self.literal = (b"", 0, "")  # true/false/null: (letters still due, next, name)

    def fail(self, byte: int, context: str) -> None:
        self.state = ERROR
        self.error = f"invalid character {quote_char(byte)} {context}"

    def push(self, byte: int, parse_state: int) -> None:
        self.parse_state.append(parse_state)
        if len(self.parse_state) > MAX_NESTING_DEPTH:
            self.fail(byte, "exceeded max depth")

    def pop(self) -> None:
        self.parse_state.pop()
        if not self.parse_state:
            self.state = END_TOP
            self.end_top = True
        else:
            self.state = END_VALUE

    def begin_value(self, c: int, or_empty: bool = False) -> None:
        """stateBeginValue, and stateBeginValueOrEmpty (just after `[`)."""
        if c in _SPACE:
            return
        if or_empty and c == 0x5D:  # ]
            self.end_value(c)
        elif c == 0x7B:  # {
            self.state = BEGIN_STRING_OR_EMPTY
            self.push(c, PARSE_OBJECT_KEY)
        elif c == 0x5B:  # [
            self.state = BEGIN_VALUE_OR_EMPTY
            self.push(c, PARSE_ARRAY_VALUE)
        elif c == 0x22:
            self.state = IN_STRING
        elif c == 0x2D:  # -
            self.state = NEG
        elif c == 0x30:
            self.state = ZERO
        elif c in _LITERALS:
            self.state = LITERAL
            self.literal = (_LITERALS[c], 0, _LITERAL_NAMES[c])
        elif 0x31 <= c <= 0x39:
            self.state = ONE
        else:
            self.fail(c, "looking for beginning of value")

    def end_value(self, c: int) -> None:
        """stateEndValue: what may follow a complete value."""
        if not self.parse_state:
            self.state = END_TOP
            self.end_top = True
            self.end_top_step(c)
            return
        if c in _SPACE:
            self.state = END_VALUE
            return
        top = self.parse_state[-1]
        if top == PARSE_OBJECT_KEY:
            if c == 0x3A:  # :
                self.parse_state[-1] = PARSE_OBJECT_VALUE
                self.state = BEGIN_VALUE
            else:
                self.fail(c, "after object key")
        elif top == PARSE_OBJECT_VALUE:
            if c == 0x2C:  # ,
                self.parse_state[-1] = PARSE_OBJECT_KEY
                self.state = BEGIN_STRING
            elif c == 0x7D:  # }
                self.pop()
            else:
                self.fail(c, "after object key:value pair")
        elif c == 0x2C:
            self.state = BEGIN_VALUE
        elif c == 0x5D:
            self.pop()
        else:
            self.fail(c, "after array element")

    def end_top_step(self, c: int) -> None:
        """stateEndTop: only spaces may follow the top-level value."""
        if c not in _SPACE:
            self.fail(c, "after top-level value")

    def step(self, c: int) -> None:  # one branch per Go state
        s = self.state
        if s == BEGIN_VALUE:
            self.begin_value(c)
        elif s == BEGIN_VALUE_OR_EMPTY:
            self.begin_value(c, or_empty=True)
        elif s in (BEGIN_STRING_OR_EMPTY, BEGIN_STRING):
            if c in _SPACE:
                return
            if s == BEGIN_STRING_OR_EMPTY and c == 0x7D:  # {} : an empty object
                self.parse_state[-1] = PARSE_OBJECT_VALUE
                self.end_value(c)
            elif c == 0x22:
                self.state = IN_STRING
            else:
                self.fail(c, "looking for beginning of object key string")
        elif s == END_VALUE:
            self.end_value(c)
        elif s == END_TOP:
            self.end_top_step(c)
        elif s == IN_STRING:
            if c == 0x22:
                self.state = END_VALUE
            elif c == 0x5C:  # backslash
                self.state = IN_STRING_ESC
            elif c < 0x20:
                self.fail(c, "in string literal")
        elif s == IN_STRING_ESC:
            if c in b'bfnrt\\/"':
                self.state = IN_STRING
            elif c == 0x75:  # u
                self.state = ESC_U
            else:
                self.fail(c, "in string escape code")
        elif ESC_U <= s <= ESC_U123:
            if c in _HEX:
                self.state = IN_STRING if s == ESC_U123 else s + 1
            else:
                self.fail(c, "in \\u hexadecimal character escape")
        elif s == NEG:
            if c == 0x30:
                self.state = ZERO
            elif 0x31 <= c <= 0x39:
                self.state = ONE
            else:
                self.fail(c, "in numeric literal")
        elif s in (ONE, ZERO, DOT0, E0):  # state1, state0, stateDot0, stateE0
            if c in _DIGITS and s != ZERO:
                return
            if c == 0x2E and s in (ONE, ZERO):  # .
                self.state = DOT
            elif c in (0x65, 0x45) and s != E0:  # e E
                self.state = E
            else:
                self.end_value(c)
        elif s == DOT:
            if c in _DIGITS:
                self.state = DOT0
            else:
                self.fail(c, "after decimal point in numeric literal")
        elif s in (E, E_SIGN):
            if s == E and c in (0x2B, 0x2D):  # + -
                self.state = E_SIGN
            elif c in _DIGITS:
                self.state = E0
            else:
                self.fail(c, "in exponent of numeric literal")
        elif s == LITERAL:
            due, index, name = self.literal
            if c != due[index]:
                self.fail(c, f"in literal {name} (expecting {quote_char(due[index])})")
            elif index + 1 == len(due):
                self.state = END_VALUE
            else:
                self.literal = (due, index + 1, name)
        # ERROR (stateError) stays there


def syntax_error(data: bytes) -> str | None:
    """`checkValid`: None for well-formed JSON, else Go's SyntaxError message."""
    scanner = _Scanner()
    i, n = 0, len(data)
    while i < n:
        if scanner.state == IN_STRING:  # skip the bytes a string takes as they are
            i = _STRING_RUN.match(data, i).end()  # type: ignore[union-attr]
            if i >= n:
                break
        elif scanner.state in (END_VALUE, END_TOP, BEGIN_VALUE, BEGIN_STRING):
            i = _SPACE_RUN.match(data, i).end()  # type: ignore[union-attr]
            if i >= n:
                break
        scanner.step(data[i])
        if scanner.state == ERROR:
            return scanner.error
        i += 1
    if scanner.error is not None:
        return scanner.error
    if scanner.end_top:
        return None
    scanner.step(0x20)  # eof(): one more space ends a number, or says what is missing
    if scanner.end_top:
        return None
    return scanner.error or UNEXPECTED_END


_TOKEN = re.compile(
    r"""[ \t\r\n]*(?:
        (?P<punct>[{}\[\],:])
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)
      | (?P<literal>true|false|null)
    )""",
    re.VERBOSE | re.DOTALL,
)
_LITERAL_VALUES = {"true": True, "false": False, "null": None}
_SURROGATE = re.compile("[\ud800-\udfff]")


def _string(token: str) -> str:
    text: str = json.loads(token)
    return _SURROGATE.sub("\ufffd", text)  # Go: invalid UTF-16 surrogates become U+FFFD


def parse(text: str) -> Any:
    """`text` decoded as Go decodes it, or GoJSONError with Go's message."""
    data = text.encode("utf-8", "surrogatepass")
    error = syntax_error(data)
    if error is not None:
        raise GoJSONError(error)
    # Well-formed: a plain tokenizer now suffices, and an explicit stack avoids recursion.
    stack: list[Any] = []  # open containers; an object's pending key rides along
    keys: list[str | None] = []
    result: Any = None
    position = 0
    while True:
        match = _TOKEN.match(text, position)
        if match is None:
            break
        position = match.end()
        punct = match.group("punct")
        if punct in ("{", "["):
            stack.append(Members() if punct == "{" else [])
            keys.append(None)
            continue
        if punct in (",", ":"):
            continue
        if punct in ("}", "]"):
            value = stack.pop()
            keys.pop()
        elif match.group("string") is not None:
            value = _string(match.group("string"))
            if stack and isinstance(stack[-1], Members) and keys[-1] is None:
                keys[-1] = value  # an object key: its value follows
                continue
        elif match.group("number") is not None:
            value = Number(match.group("number"))
        else:
            value = _LITERAL_VALUES[match.group("literal")]
        if not stack:
            result = value
            break
        container = stack[-1]
        if isinstance(container, Members):
            container.append((keys[-1], value))
            keys[-1] = None
        else:
            container.append(value)
    return result
