"""Build `regression_corpus.jsonl`: real reference answers paired with equal rewritings and
unequal near-misses, each verdict known by construction.

    python tests/data/grading/build_regression_corpus.py [--data-dir ../shared/data]

Every case pairs one real reference (MATH test, MATH-500, GSM8K, AIME 2024/2025, AMC 2023,
Minerva, OlympiadBench) with an answer made from it by one rewriting whose effect is known:

* equal rewritings change only the spelling (`\\dfrac`, `\\left(`, spaces, `$...$`, a box inside a
  sentence, a thousands separator, an exact decimal for a terminating fraction, `x = ` before
  the value, a unit from the unit list, list items in another order, leading zeros);
* unequal near-misses change the mathematics a little (a number plus one, one digit, the sign,
  ten times the value, two coordinates swapped, an interval end opened or closed, a list item
  dropped, a rounded decimal for an exact non-terminating value).

A near-miss made by editing LaTeX could by accident be equal (`1^2` -> `1^3`), so each edited
near-miss is checked independently of evalkit: both sides are parsed with latex2sympy2_extended
(its own normaliser, not evalkit's) and evaluated at random points; a near-miss that evaluates
equal, or that cannot be evaluated, is dropped. The output is sorted and seeded: rebuilding with
the same data gives the same file.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parents[3] / "shared" / "data"
SEED = 2026
PER_SOURCE = {"math500": 120, "math": 60, "gsm8k": 30, "aime24": 15, "aime25": 15, "amc23": 15,
              "minerva_math": 40, "olympiadbench": 60}


def last_box(solution: str) -> str | None:
    start = solution.rfind("\\boxed{")
    if start < 0:
        return None
    depth = 0
    for index in range(start + 6, len(solution)):
        char = solution[index]
        if char == "{" and solution[index - 1] != "\\":
            depth += 1
        elif char == "}" and solution[index - 1] != "\\":
            depth -= 1
            if depth == 0:
                return solution[start + 7:index]
    return None


def references(data: Path) -> dict[str, list[tuple[str, str]]]:
    """(id, reference) per source, in file order."""
    def rows(name: str) -> list[dict]:
        return [json.loads(line) for line in (data / name).read_text(encoding="utf-8").splitlines()]

    found: dict[str, list[tuple[str, str]]] = {}
    found["math500"] = [(r["unique_id"], r["answer"]) for r in rows("math/math500.jsonl")]
    in_500 = {identifier for identifier, _ in found["math500"]}
    found["math"] = [(r["unique_id"], last_box(r["solution"])) for r in rows("math/test.jsonl")
                     if r["unique_id"] not in in_500 and last_box(r["solution"])]
    found["gsm8k"] = [(f"gsm8k/test/{i}", r["answer"].rsplit("####", 1)[1].strip().replace(",", ""))
                      for i, r in enumerate(rows("gsm8k/test.jsonl"))]
    found["aime24"] = [(str(r["id"]), str(r["answer"])) for r in rows("aime24/test.jsonl")]
    found["aime25"] = [(str(r["id"]), str(r["answer"])) for r in rows("aime25/test.jsonl")]
    found["amc23"] = [(str(r["id"]), str(r["answer"])) for r in rows("amc23/test.jsonl")]
    found["minerva_math"] = [(str(r["idx"]), last_box(r["solution"])) for r in rows("minerva_math/test.jsonl")
                             if last_box(r["solution"])]
    found["olympiadbench"] = [(str(r["id"]), ", ".join(a.strip().strip("$").replace("$,$", ", ") for a in r["final_answer"]))
                              for r in rows("olympiadbench/test.jsonl")
                              if not r.get("unit") and len(r["final_answer"]) == 1]
    return found


# ---------------------------------------------------------------- rewritings

_INTEGER = re.compile(r"^-?\d+$")
_FRACTION = re.compile(r"^(-?)\\d?frac\{(\d+)\}\{(\d+)\}$")
_THOUSANDS_GROUP = re.compile(r"\d,(?:\\!)?\d{3}(?!\d)")
_NUMBER_TOKEN = re.compile(r"(?<![\d.\\a-zA-Z_^])\d+(?![\d.])")


def terminating(value: Fraction) -> bool:
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


def decimal_text(value: Fraction) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    digits = 0
    while (value * 10 ** digits).denominator != 1:
        digits += 1
    scaled = int(value * 10 ** digits)
    text = str(scaled).rjust(digits + 1, "0")
    return sign + (text[:-digits] + "." + text[-digits:] if digits else text)


def equal_rewritings(reference: str, source: str) -> list[tuple[str, str]]:
    """(kind, answer) pairs that are the same answer as `reference`."""
    out = [("in_a_sentence", f"So the final answer is $\\boxed{{{reference}}}$.")]
    stripped = reference.strip()
    if "\\frac" in stripped:
        out.append(("dfrac", stripped.replace("\\frac", "\\dfrac")))
    if stripped[:1] in "([" and stripped[-1:] in ")]" and "\\left" not in stripped:
        out.append(("left_right", "\\left" + stripped[0] + stripped[1:-1] + "\\right" + stripped[-1]))
    grouped = bool(_THOUSANDS_GROUP.search(stripped))
    if "," in stripped and ", " not in stripped and not grouped:
        out.append(("spaces", stripped.replace(",", ", ")))
    if _INTEGER.match(stripped):
        value = int(stripped)
        out.append(("in_dollars", f"${stripped}$"))
        if abs(value) >= 1000:
            out.append(("thousands_comma", f"{value:,}"))
            out.append(("thousands_braced", f"{value:,}".replace(",", "{,}")))
        out.append(("trailing_zero_decimal", f"{stripped}.0"))
        if source in ("aime24", "aime25") and 0 <= value < 100:
            out.append(("leading_zeros", f"{value:03d}"))
        out.append(("with_unit", f"{stripped}\\text{{ cm}}"))
        out.append(("assignment", f"x = {stripped}"))
    match = _FRACTION.match(stripped)
    if match:
        value = Fraction(int(match.group(2)), int(match.group(3))) * (-1 if match.group(1) else 1)
        if terminating(value):
            out.append(("exact_decimal", decimal_text(value)))
        out.append(("slash_fraction", f"{match.group(1)}{match.group(2)}/{match.group(3)}"))
    if re.fullmatch(r"-?\d+\.\d+", stripped):
        value = Fraction(stripped)
        if value.denominator != 1:
            out.append(("fraction_of_decimal", f"\\frac{{{value.numerator}}}{{{value.denominator}}}"))
        else:
            out.append(("integer_of_decimal", str(value.numerator)))
    items = _top_level_items(stripped)
    if len(items) > 1 and stripped[:1] not in "([" and "=" not in stripped and not grouped:
        out.append(("reordered_list", ", ".join(reversed(items))))
    if stripped.startswith("\\text{") and stripped.endswith("}"):
        out.append(("textbf", "\\textbf{" + stripped[6:]))
    return out


def _top_level_items(text: str) -> list[str]:
    items, depth, current = [], 0, ""
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += char
    items.append(current.strip())
    return [item for item in items if item]


def unequal_rewritings(reference: str, rng: random.Random) -> list[tuple[str, str, bool]]:
    """(kind, answer, needs_check) near-misses; `needs_check` when made by editing LaTeX."""
    stripped = reference.strip()
    out: list[tuple[str, str, bool]] = []
    if _INTEGER.match(stripped):
        value = int(stripped)
        out.append(("plus_one", str(value + 1), False))
        out.append(("minus_one", str(value - 1), False))
        if value != 0:
            out.append(("ten_times", str(value * 10), False))
            out.append(("negated", str(-value), False))
            out.append(("as_percent_scaled", str(value * 100), False))
        return out
    match = _FRACTION.match(stripped)
    if match:
        numerator, denominator = int(match.group(2)), int(match.group(3))
        value = Fraction(numerator, denominator) * (-1 if match.group(1) else 1)
        out.append(("numerator_plus_one", f"{match.group(1)}\\frac{{{numerator + 1}}}{{{denominator}}}", False))
        if not terminating(value):
            out.append(("rounded_decimal", _rounded(value, 3), False))
        out.append(("negated", f"{'' if match.group(1) else '-'}\\frac{{{numerator}}}{{{denominator}}}", False))
        return out
    if re.fullmatch(r"-?\d+\.\d+", stripped):
        places = len(stripped.split(".")[1])
        step = Fraction(1, 10 ** places)
        out.append(("off_by_two_units", decimal_text(Fraction(stripped) + 2 * step), False))
        out.append(("ten_times", decimal_text(Fraction(stripped) * 10), False))
        return out
    tokens = list(_NUMBER_TOKEN.finditer(stripped))
    if tokens:
        token = rng.choice(tokens)
        changed = str(int(token.group(0)) + 1)
        out.append(("one_number_changed", stripped[:token.start()] + changed + stripped[token.end():], True))
    items = _top_level_items(stripped[1:-1]) if stripped[:1] == "(" and stripped[-1:] == ")" else []
    if len(items) == 2 and items[0] != items[1]:
        out.append(("coordinates_swapped", f"({items[1]}, {items[0]})", True))
    if stripped[:1] in "([" and stripped[-1:] in ")]" and "," in stripped and (
            stripped[0] == "[" or stripped[-1] == "]" or "infty" in stripped):
        flipped = ("(" if stripped[0] == "[" else "[") + stripped[1:]
        if "infty" not in stripped.split(",")[0]:
            out.append(("interval_end_flipped", flipped, False))
    whole = _top_level_items(stripped)
    if len(whole) > 2 and stripped[:1] not in "([{" and not _THOUSANDS_GROUP.search(stripped):
        out.append(("list_item_dropped", ", ".join(whole[:-1]), True))
    if not stripped.startswith("-") and "=" not in stripped and "," not in stripped and "\\text" not in stripped:
        out.append(("negated", f"-({stripped})", True))
    if re.search(r"\\pi|\\sqrt", stripped) and "," not in stripped and "=" not in stripped:
        out.append(("rounded_decimal", "ROUNDED", True))
    return out


def _rounded(value: Fraction, places: int) -> str:
    scaled = round(value * 10 ** places)
    return decimal_text(Fraction(scaled, 10 ** places))


# ---------------------------------------------------------------- independent check

def _evaluate(latex: str, point: dict) -> complex | None:
    from latex2sympy2_extended import latex2sympy

    try:
        expr = latex2sympy(latex)
        if hasattr(expr, "free_symbols") and expr.free_symbols:
            expr = expr.subs({s: point.get(s.name, 0.731) for s in expr.free_symbols})
        value = complex(expr.evalf(30))
        return value if value == value and abs(value) < 1e300 else None
    except Exception:  # noqa: BLE001 - an answer the independent parser cannot read is dropped
        return None


def numerically_different(first: str, second: str) -> bool | None:
    """Whether two LaTeX scalars differ at random points (None when either cannot be read)."""
    rng = random.Random(7)
    for _ in range(3):
        point = {name: rng.uniform(0.3, 2.7) for name in "abcdefghjklmnopqrstuvwxyz"}
        a, b = _evaluate(first, point), _evaluate(second, point)
        if a is None or b is None:
            return None
        try:
            if abs(a - b) > 1e-9 * max(1.0, abs(a), abs(b)):
                return True
        except OverflowError:
            return None
    return False


def rounded_decimal_of(reference: str) -> str | None:
    value = _evaluate(reference, {})
    if value is None or abs(value.imag) > 0 or value.real == 0:
        return None
    return f"{value.real:.3g}" if abs(value.real) < 1000 else None


def build(data: Path) -> list[dict]:
    rng = random.Random(SEED)
    cases: list[dict] = []
    for source, refs in sorted(references(data).items()):
        chosen = sorted(rng.sample(range(len(refs)), min(PER_SOURCE[source], len(refs))))
        for index in chosen:
            identifier, reference = refs[index]
            equal = equal_rewritings(reference, source)
            specific = [pair for pair in equal if pair[0] != "in_a_sentence"]
            kind, answer = rng.choice(specific if specific and rng.random() < 0.75 else equal)
            cases.append({"source": f"{source}:{identifier}", "reference": reference, "answer": answer,
                          "expected": True, "kind": f"equal:{kind}"})
            unequal = unequal_rewritings(reference, rng)
            rng.shuffle(unequal)
            for kind, answer, needs_check in unequal:
                if answer == "ROUNDED":
                    answer = rounded_decimal_of(reference)
                    if answer is None:
                        continue
                if needs_check and numerically_different(reference, answer) is not True:
                    continue
                cases.append({"source": f"{source}:{identifier}", "reference": reference, "answer": answer,
                              "expected": False, "kind": f"unequal:{kind}"})
                break
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=HERE / "regression_corpus.jsonl")
    args = parser.parse_args()
    cases = build(args.data_dir)
    with args.out.open("w", encoding="utf-8") as handle:
        for case in cases:
            handle.write(json.dumps(case, ensure_ascii=False) + "\n")
    print(f"{len(cases)} cases ({sum(c['expected'] for c in cases)} equal) -> {args.out}")


if __name__ == "__main__":
    main()
