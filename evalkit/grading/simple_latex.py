"""A fast parser for the small part of LaTeX that most answers are written in.

`latex2sympy2_extended` parses all of LaTeX with an ANTLR grammar, at 5-80 ms per expression in a
fresh process. Most answers are far simpler: `\\frac{\\sqrt{3}}{2}`, `2\\sqrt{5}`, `\\frac{\\pi}{4}`,
`x^2+2x+1`, `3-2i`. This module reads exactly that subset in well under a millisecond and builds
the same SymPy expression; anything outside the subset returns None and goes to the full parser.

The subset (canonical strings, spaces already removed): integers and decimals; one-letter
variables (juxtaposed letters multiply: `xy`), Greek letters, `\\pi`, `e` (Euler's number), `i`
(the imaginary unit, as in `values.canonical_expr`); `+`, `-`, `\\cdot`, `\\times`, `*`, `/` (only
between two factors that are not followed by an implied product: `1/2x` is left to the full
parser); implied multiplication; `^` with a braced or one-character exponent; `\\frac{..}{..}`,
`\\sqrt{..}`, `\\sqrt[n]{..}`; `\\sin`, `\\cos`, `\\tan` and their inverses and hyperbolic kin,
`\\exp`, `\\ln`, `\\log` (base 10, or `\\log_b`); parentheses and braces as groups. Nothing is evaluated from text:
the expression is built from tokens, node by node. Subscripted names (`a_{12}`, `x_n`, `E_1`) are
single symbols, as latex2sympy2_extended names them (`a_12`).
"""

from __future__ import annotations

import re

import sympy

_TOKEN = re.compile(r"\d+(?:\.\d+)?|\\[a-zA-Z]+|[a-zA-Z]|[-+*/^(){}\[\]_]")
_GREEK = frozenset("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi rho sigma tau "
                   "upsilon phi chi psi omega".split())
_TIMES = frozenset({"\\cdot", "\\times", "*"})
_FUNCTIONS = {
    "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "cot": sympy.cot, "sec": sympy.sec, "csc": sympy.csc,
    "arcsin": sympy.asin, "arccos": sympy.acos, "arctan": sympy.atan, "sinh": sympy.sinh, "cosh": sympy.cosh,
    "tanh": sympy.tanh, "exp": sympy.exp, "ln": sympy.log,
}
_INVERSES = {"sin": sympy.asin, "cos": sympy.acos, "tan": sympy.atan}
_STARTS_FACTOR = re.compile(r"\d|\\(?:frac|sqrt|pi|log|" + "|".join(_GREEK) + "|" + "|".join(_FUNCTIONS)
                            + r")$|[a-zA-Z(]$|\{$")
_FUNCTION_TOKEN = re.compile(r"\\(?:log|" + "|".join(_FUNCTIONS) + r")$")
_FUNCTION_LETTERS = frozenset("fghFGH")
MAX_TOKENS = 200


class _Unsupported(Exception):
    """The text uses LaTeX outside the subset: the full parser must read it."""


def parse_simple(text: str) -> sympy.Expr | None:
    """The SymPy expression of `text` when it is in the subset (module notes), else None."""
    tokens = _TOKEN.findall(text)
    if not tokens or len(tokens) > MAX_TOKENS or "".join(tokens) != "".join(text.split()):
        return None
    reader = _Reader(tokens)
    try:
        expr = reader.expression()
        if reader.position != len(tokens):
            return None
    except (_Unsupported, IndexError, ZeroDivisionError, RecursionError):
        return None
    return expr


class _Reader:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.tokens[self.position]
        if expected is not None and token != expected:
            raise _Unsupported(token)
        self.position += 1
        return token

    def expression(self) -> sympy.Expr:
        sign = 1
        if self.peek() in ("+", "-"):
            sign = -1 if self.take() == "-" else 1
        result = sign * self.term()
        while self.peek() in ("+", "-"):
            operator = self.take()
            result = result + self.term() if operator == "+" else result - self.term()
        return result

    def term(self) -> sympy.Expr:
        result = self.power()
        while True:
            token = self.peek()
            if token in _TIMES:
                self.take()
                result = result * self.power()
            elif token == "/":
                self.take()
                divisor = self.power()
                following = self.peek()
                if following is not None and _STARTS_FACTOR.match(following):
                    raise _Unsupported("a/bc")
                result = result / divisor
            elif token is not None and _STARTS_FACTOR.match(token):
                result = result * self.power()
            else:
                return result

    def power(self) -> sympy.Expr:
        if self.peek() in ("-", "+"):
            raise _Unsupported("sign inside a product")
        base = self.atom()
        if self.peek() == "^":
            self.take()
            if self.peek() == "{":
                self.take()
                exponent = self.expression()
                self.take("}")
            else:
                exponent = self.atom()
            if self.peek() == "^":
                raise _Unsupported("a^b^c")
            return base ** exponent
        return base

    def atom(self) -> sympy.Expr:
        token = self.take()
        if token[0].isdigit():
            if self.peek() == "\\frac":
                raise _Unsupported("a mixed number")
            return sympy.Rational(token) if "." in token else sympy.Integer(token)
        if token == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if token == "{":
            inner = self.expression()
            self.take("}")
            return inner
        if token == "\\frac":
            numerator = self.group()
            denominator = self.group()
            if denominator == 0:
                raise _Unsupported("division by zero")
            return numerator / denominator
        if token == "\\sqrt":
            if self.peek() == "[":
                self.take()
                degree = self.expression()
                self.take("]")
                return sympy.root(self.group(), degree)
            return sympy.sqrt(self.group())
        if token == "\\pi":
            return sympy.pi
        if _FUNCTION_TOKEN.match(token):
            return self.function(token[1:])
        if token.startswith("\\") and token[1:] in _GREEK:
            self.refuse_call()
            return sympy.Symbol(token[1:] + self.subscript())
        if len(token) == 1 and token.isalpha() and self.peek() == "_":
            return sympy.Symbol(token + self.subscript())
        if len(token) == 1 and token.isalpha():
            if (token in _FUNCTION_LETTERS or token.isupper()) and self.peek() == "(":
                raise _Unsupported("f(x), I(0): a function applied")
            self.refuse_call()
            if token == "e":
                return sympy.E
            if token == "i":
                return sympy.I
            if token == "I":
                return sympy.I
            return sympy.Symbol(token)
        raise _Unsupported(token)

    def function(self, name: str) -> sympy.Expr:
        """`\\sin x`, `\\sin(x)`, `\\sin^2 x`, `\\tan^{-1} 1`, `\\log_2 8`, `\\ln x^2`: without
        parentheses the argument is the product that follows, up to `+`, `-` or another function
        (as latex2sympy2_extended reads it)."""
        base = None
        if name == "log" and self.peek() == "_":
            self.take()
            base = self.group() if self.peek() == "{" else self.atom()
        exponent = None
        if self.peek() == "^":
            self.take()
            exponent = self.group() if self.peek() == "{" else self.atom()
        if self.peek() == "(":
            self.take()
            argument = self.expression()
            self.take(")")
        elif self.peek() == "{":
            argument = self.group()
        else:
            sign = -1 if self.peek() == "-" else 1
            if self.peek() in ("-", "+"):
                self.take()
            argument = self.power()
            while (following := self.peek()) is not None and _STARTS_FACTOR.match(following) \
                    and not _FUNCTION_TOKEN.match(following):
                argument = argument * self.power()
            argument = sign * argument
        if name == "log":
            value = sympy.log(argument, base if base is not None else 10)
        elif exponent == -1 and name in _INVERSES:
            return _INVERSES[name](argument)
        else:
            value = _FUNCTIONS[name](argument)
        return value if exponent is None else value ** exponent

    def refuse_call(self) -> None:
        """`u(t)`, `\\delta(t)`: a name applied to one symbol is a function call for the full
        parser; `x(x+1)` is a product."""
        if self.peek() == "(" and self.position + 2 < len(self.tokens) and self.tokens[self.position + 2] == ")" \
                and not self.tokens[self.position + 1][0].isdigit():
            raise _Unsupported("a name applied to a symbol")

    def subscript(self) -> str:
        """`_1`, `_{12}`, `_{n}` after a name: part of the name (`a_{12}` is the symbol a_12)."""
        if self.peek() != "_":
            return ""
        self.take()
        if self.peek() == "{":
            self.take()
            parts = []
            while self.peek() != "}":
                part = self.take()
                if not part.isalnum():
                    raise _Unsupported("a subscript that is an expression")
                parts.append(part)
            self.take("}")
            if not parts:
                raise _Unsupported("an empty subscript")
            joined = "".join(parts)
            return "_" + joined if len(joined) == 1 else "_{" + joined + "}"  # latex2sympy's names
        part = self.take()
        if not part.isalnum() or len(part) > 1:
            raise _Unsupported("a subscript of several characters without braces")
        return "_" + part

    def group(self) -> sympy.Expr:
        self.take("{")
        inner = self.expression()
        self.take("}")
        return inner
