"""The scale of a unit: an answer given in one unit, read in the unit its problem asks for.

`units.py` drops the unit after a value, so `100 \\text{ kpc}` reads as `100`. That is right when
the unit is the one asked for and wrong when it is not: 100 kpc is not 100 pc, 3/4 hour is 45
minutes. The unit asked for is the reference's own (`5.4 \\text{ cents}`, `15\\mbox{ cm}^2`), else the
one the question names (`in parsecs`, `in units of $\\mathrm{~nm}$`, `How many minutes`). Where the
answer's unit and that unit measure the same thing (length, area, time, mass, money, energy,
temperature, speed, ...) at another scale, the answer's number is converted into the unit asked for
before it is compared or clustered. Anything else (no unit on either side, units of different kinds,
a unit not in the table, an answer that is not one number) is left to `units.py` as before.

The table names the common units; an SI prefix before a symbol of `_PREFIXABLE` (`meV`, `mmol`, `mM`, `kHz`,
`MW`) scales it, and derived units (watts, hertz, moles, molar, newtons, pascals) measure products of the
base kinds, so `4.5e33 W` is another number in ergs per second and `8.49e-4 mM` another in molarity.

Pure functions over strings and exact fractions; the table of units is the only place a scale lives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from evalkit.grading.numbers import fraction_text, parse_exact_number


@dataclass(frozen=True)
class Measure:
    """A unit: what it measures (base kinds with their powers, e.g. `(("length", 1), ("time", -1))`), its
    size in the base units of that kind, and for temperatures the offset of its zero."""

    kind: tuple[tuple[str, int], ...]
    scale: Fraction
    offset: Fraction = Fraction(0)


def _f(text: str) -> Fraction:
    return Fraction(text)


_PARSEC = _f("3.0856775814913673e16")
_YEAR = _f("31557600")  # the Julian year astronomy uses
_ELECTRONVOLT = _f("1.602176634e-19")
_UNIT_TABLE: tuple[tuple[str, str, Fraction], ...] = (
    # length, in metres
    ("m meter meters metre metres", "length", _f("1")),
    ("km kilometer kilometers kilometre kilometres", "length", _f("1e3")),
    ("cm centimeter centimeters centimetre centimetres", "length", _f("1e-2")),
    ("mm millimeter millimeters millimetre millimetres", "length", _f("1e-3")),
    ("um μm µm micron microns micrometer micrometers micrometre micrometres", "length", _f("1e-6")),
    ("nm nanometer nanometers nanometre nanometres", "length", _f("1e-9")),
    ("pm picometer picometers", "length", _f("1e-12")),
    ("Å angstrom angstroms ångström", "length", _f("1e-10")),
    ("pc parsec parsecs", "length", _PARSEC),
    ("kpc kiloparsec kiloparsecs", "length", 1000 * _PARSEC),
    ("Mpc megaparsec megaparsecs", "length", 1000000 * _PARSEC),
    ("Gpc gigaparsec gigaparsecs", "length", 1000000000 * _PARSEC),
    ("AU au", "length", _f("149597870700")),
    ("in inch inches", "length", _f("0.0254")),
    ("ft foot feet", "length", _f("0.3048")),
    ("yd yard yards", "length", _f("0.9144")),
    ("mi mile miles", "length", _f("1609.344")),
    # time, in seconds
    ("s sec secs second seconds", "time", _f("1")),
    ("ms millisecond milliseconds", "time", _f("1e-3")),
    ("μs µs microsecond microseconds", "time", _f("1e-6")),
    ("ns nanosecond nanoseconds", "time", _f("1e-9")),
    ("min mins minute minutes", "time", _f("60")),
    ("h hr hrs hour hours", "time", _f("3600")),
    ("day days", "time", _f("86400")),
    ("week weeks", "time", _f("604800")),
    ("yr yrs year years", "time", _YEAR),
    ("Myr Myrs", "time", 1000000 * _YEAR),
    ("Gyr Gyrs", "time", 1000000000 * _YEAR),
    # mass, in grams
    ("g gram grams gm", "mass", _f("1")),
    ("kg kilogram kilograms", "mass", _f("1e3")),
    ("mg milligram milligrams", "mass", _f("1e-3")),
    ("μg µg microgram micrograms", "mass", _f("1e-6")),
    ("lb lbs pound pounds", "mass", _f("453.59237")),
    ("oz ounce ounces", "mass", _f("28.349523125")),
    # money, in dollars
    ("dollar dollars USD usd", "money", _f("1")),
    ("cent cents ¢", "money", _f("0.01")),
    # energy, in joules
    ("J joule joules", "energy", _f("1")),
    ("kJ kilojoule kilojoules", "energy", _f("1e3")),
    ("MJ megajoule megajoules", "energy", _f("1e6")),
    ("erg ergs", "energy", _f("1e-7")),
    ("eV electronvolt electronvolts", "energy", _ELECTRONVOLT),
    ("keV", "energy", 1000 * _ELECTRONVOLT),
    ("MeV", "energy", 1000000 * _ELECTRONVOLT),
    ("GeV", "energy", 1000000000 * _ELECTRONVOLT),
    ("cal calorie calories", "energy", _f("4.184")),
    ("kcal kilocalorie kilocalories", "energy", _f("4184")),
    # volume, in litres (cubes of lengths convert through the length table)
    ("L l liter liters litre litres", "volume", _f("1")),
    ("mL ml milliliter milliliters millilitre millilitres", "volume", _f("1e-3")),
)
"""Each unit's names, what it measures and its size in the first unit of that kind."""
_BASE_UNITS: dict[str, tuple[str, Fraction]] = {
    name: (kind, scale) for names, kind, scale in _UNIT_TABLE for name in names.split()}
_DERIVED_TABLE: tuple[tuple[str, tuple[tuple[str, int], ...], Fraction], ...] = (
    ("W watt watts", (("energy", 1), ("time", -1)), _f("1")),
    ("Hz hertz", (("time", -1),), _f("1")),
    ("mol mole moles", (("amount", 1),), _f("1")),
    ("M molar molarity", (("amount", 1), ("length", -3)), _f("1e3")),  # mol per litre, in mol per cubic metre
    ("N newton newtons", (("length", 1), ("mass", 1), ("time", -2)), _f("1e3")),  # kg m s^-2, in g m s^-2
    ("Pa pascal pascals", (("length", -1), ("mass", 1), ("time", -2)), _f("1e3")),
)
"""Units whose kind is a product of the base kinds above (watts are joules per second)."""
_DERIVED: dict[str, Measure] = {
    name: Measure(kind, scale) for names, kind, scale in _DERIVED_TABLE for name in names.split()}
_SI_PREFIX_SCALES: dict[str, Fraction] = {
    "f": _f("1e-15"), "p": _f("1e-12"), "n": _f("1e-9"), "μ": _f("1e-6"), "µ": _f("1e-6"), "u": _f("1e-6"),
    "m": _f("1e-3"), "c": _f("1e-2"), "d": _f("1e-1"), "k": _f("1e3"), "M": _f("1e6"), "G": _f("1e9"),
    "T": _f("1e12")}
_PREFIXABLE = frozenset("m g s J eV W Hz mol M L N Pa pc yr".split())
"""The unit symbols an SI prefix may come before (`meV`, `mmol`, `mM`, `kHz`, `MW`, `nN`): a prefixed symbol
that the table does not name is the prefix's power of ten times the symbol."""

_TEMPERATURES = {  # the size of a degree and the kelvin reading of its zero
    "K": (Fraction(1), Fraction(0)), "kelvin": (Fraction(1), Fraction(0)), "kelvins": (Fraction(1), Fraction(0)),
    "°C": (Fraction(1), _f("273.15")), "celsius": (Fraction(1), _f("273.15")),
    "°F": (Fraction(5, 9), _f("459.67") * Fraction(5, 9)), "fahrenheit": (Fraction(5, 9), _f("459.67") * Fraction(5, 9)),
}
_LITRE_IN_CUBIC_METRES = Fraction(1, 1000)
_SPEEDS = {"mph": ("mi", "h"), "kph": ("km", "h"), "kmh": ("km", "h")}

_CLEAN = (
    (re.compile(r"\\(?:mathrm|text|textrm|mbox|operatorname|rm|mathit)\s*\{([^{}]*)\}"), r" \1 "),
    (re.compile(r"\\(?:AA|angstrom)(?![A-Za-z])"), " Å "),
    (re.compile(r"\\(?:mu|micro)(?![A-Za-z])\s*"), "μ"),
    (re.compile(r"\^\s*\{?\s*\\circ\s*\}?\s*(?=[CF](?![A-Za-z]))"), "°"),
    (re.compile(r"\\(?:degree)\s*(?=[CF](?![A-Za-z]))"), "°"),
    (re.compile(r"\\[,;:! ]|~|\\q?quad"), " "),
    (re.compile(r"\\cdot|\\times"), " * "),
)
_POWER = re.compile(r"\^\s*\{?\s*(-?\d)\s*\}?")
_WORD_POWERS = {"square": 2, "sq": 2, "cubic": 3, "cu": 3}
_AFTER_POWERS = {"squared": 2, "cubed": 3}


def _one_unit(word: str) -> Measure | None:
    """One unit name (a table name, a temperature, `mph`)."""
    temperature = _TEMPERATURES.get(word) or _TEMPERATURES.get(word.lower())
    if temperature is not None:
        return Measure((("temperature", 1),), *temperature)
    if word in _SPEEDS:
        top, bottom = (_one_unit(name) for name in _SPEEDS[word])
        assert top is not None and bottom is not None
        return _divide(top, bottom)
    found = _BASE_UNITS.get(word) or (_BASE_UNITS.get(word.lower()) if len(word) > 3 else None)
    if found is None:
        derived = _DERIVED.get(word) or (_DERIVED.get(word.lower()) if len(word) > 3 else None)
        return derived if derived is not None else _prefixed(word)
    kind, scale = found
    if kind == "volume":  # litres are cubic decimetres: one kind with cubes of lengths
        return Measure((("length", 3),), scale * _LITRE_IN_CUBIC_METRES)
    return Measure(((kind, 1),), scale)


def _prefixed(word: str) -> Measure | None:
    """A prefixed SI symbol the table does not name (`meV`, `mmol`, `kHz`), or None."""
    for prefix, factor in _SI_PREFIX_SCALES.items():
        base = word[len(prefix):]
        if word.startswith(prefix) and base in _PREFIXABLE:
            unit = _one_unit(base)
            return None if unit is None else Measure(unit.kind, unit.scale * factor)
    return None


def _power(measure: Measure, exponent: int) -> Measure | None:
    if measure.offset or any(kind == "temperature" for kind, _ in measure.kind):
        return None if exponent != 1 else measure
    return Measure(tuple((kind, power * exponent) for kind, power in measure.kind), measure.scale ** exponent)


def _multiply(a: Measure, b: Measure) -> Measure | None:
    if a.offset or b.offset:
        return None
    powers: dict[str, int] = {}
    for kind, power in (*a.kind, *b.kind):
        powers[kind] = powers.get(kind, 0) + power
    return Measure(tuple(sorted((kind, power) for kind, power in powers.items() if power)), a.scale * b.scale)


def _divide(a: Measure, b: Measure) -> Measure | None:
    inverse = _power(b, -1)
    return None if inverse is None else _multiply(a, inverse)


def _factor(words: list[str]) -> Measure | None:
    """`square feet`, `cm^2` (already split into `cm`, `^2`), `feet squared`, `km`."""
    exponent = 1
    if words and words[0].lower() in _WORD_POWERS:
        exponent, words = _WORD_POWERS[words[0].lower()], words[1:]
    if len(words) >= 2 and words[-1].lower() in _AFTER_POWERS:
        exponent, words = _AFTER_POWERS[words[-1].lower()], words[:-1]
    if len(words) == 2 and words[1].startswith("^"):
        exponent, words = exponent * int(words[1][1:]), words[:1]
    if len(words) != 1:
        return None
    unit = _one_unit(words[0])
    return None if unit is None else _power(unit, exponent)


def measure_of(text: str) -> Measure | None:
    """The unit written in `text` (`km/s`, `\\mathrm{~cm}^{2}`, `square feet`, `^\\circ C`, `parsecs`), or
    None when it is not one unit of the table (or products and quotients of them)."""
    for pattern, replacement in _CLEAN:
        text = pattern.sub(replacement, text)
    text = _POWER.sub(lambda m: f" ^{m.group(1)} ", text.replace("{", " ").replace("}", " "))
    text = re.sub(r"\s*/\s*|\s+per\s+", " / ", text).strip()
    if not text or len(text) > 40:
        return None
    numerator, *denominators = [part.split() for part in text.split(" / ")]
    measure = _product([word for word in numerator if word != "*"])
    for denominator in denominators:
        below = _product([word for word in denominator if word != "*"])
        if measure is None or below is None:
            return None
        measure = _divide(measure, below)
    return measure


def _product(words: list[str]) -> Measure | None:
    """Units side by side (`N m`, `kg m^2`): their product; a word power binds to the unit after it."""
    groups: list[list[str]] = []
    for word in words:
        if word.startswith("^") and groups:
            groups[-1].append(word)
        elif groups and groups[-1] and groups[-1][-1].lower() in _WORD_POWERS:
            groups[-1].append(word)
        elif word.lower() in _AFTER_POWERS and groups:
            groups[-1].append(word)
        else:
            groups.append([word])
    if not groups:
        return None
    measure: Measure | None = None
    for group in groups:
        factor = _factor(group)
        if factor is None:
            return None
        measure = factor if measure is None else _multiply(measure, factor)
        if measure is None:
            return None
    return measure


_VALUE_THEN_UNIT = re.compile(
    r"^\s*+(?:(?P<dollar>\\\$|\$)\s*+)?(?P<value>[-+]?(?:10\s*\^\s*(?:\{\s*[-+−]?\d+\s*\}|[-+−]?\d+)"
    r"|(?:(?:\d+\s*)?\\[dt]?frac\s*\{[^{}]*\}\s*\{[^{}]*\}|\d+\s+\d+/\d+|\d+/\d+|\d[\d,]*(?:\.\d*)?|\.\d+)"
    r"(?:\s*(?:\\times|\\cdot|\*)\s*10\s*\^\s*\{?\s*[-+−]?\d+\s*\}?)?))(?P<unit>.*)$", re.DOTALL)
"""One number (with a `$` before it) and what follows it, its unit (`_unit_after`). Linear in the length of the
text: the unit takes the rest whole and is trimmed after (a pattern ending in `.*?\\s*\\.?\\s*$` took cubic time
over a run of spaces)."""


def _unit_after(match: re.Match[str]) -> str:
    """The unit `_VALUE_THEN_UNIT` read: what follows the number, without the spaces around it and a full stop."""
    unit = match.group("unit").strip()
    return unit[:-1].rstrip() if unit.endswith(".") else unit


def answer_measure(answer: str) -> Measure | None:
    """The unit a one-number answer is given in: `100 \\text{ kpc}`, `\\frac{3}{4} \\text{ hour}`, `2\\frac{2}{3}
    \\text{ hours}`, `8/3 hours`, `\\$5.40`, `1.04 \\times 10^{-3} \\text{ kg}`; None without one."""
    match = _VALUE_THEN_UNIT.match(answer)
    if match is None:
        return None
    unit = _unit_after(match)
    if match.group("dollar"):
        return None if unit else _one_unit("dollar")
    return measure_of(unit) if unit else None


def value_and_unit(text: str) -> tuple[str, str, Measure] | None:
    """A one-number text and its unit, however the unit is written (`361pm`, `5.89\\times10^{-7}m`, `6630Å`,
    `3.21\\times10^{13}/cm^{3}`: per cubic centimetre): the number's text, the unit's and the unit; None when
    `text` is not one number and one unit of the table."""
    match = _VALUE_THEN_UNIT.match(text)
    if match is None or match.group("dollar"):
        return None
    unit = _unit_after(match)
    measure = _inverse(measure_of(unit[1:])) if unit.startswith("/") else measure_of(unit) if unit else None
    return None if measure is None else (match.group("value"), unit, measure)


_ASKED_IN = re.compile(
    r"(?:\b(?:in|into)\s+(?:units\s+of\s+|the\s+units?\s+of\s+)?|\bhow\s+many\s+|\bthe\s+number\s+of\s+)(?P<inverse>inverse\s+)?"
    r"(?P<unit>\$[^$]{1,40}\$|\\\([^)]{1,40}\\\)|(?:square\s+|cubic\s+|sq\s+)?[A-Za-zÅ°μµ][\w°/^.]*"
    r"(?:\s*/\s*[A-Za-z]+|\s+per\s+[A-Za-z]+(?:\s+(?:squared|cubed)\b)?)?)",
    re.IGNORECASE)


_GIVEN_IN = re.compile(
    r"(?:(?<![\d.,])(?>\d[\d.,]*)(?<=\d)\s*(?:\\[,;:! ]|~|\s)*|\b(?:[Aa]n?|per|every|each)\s+)(?P<unit>(?:\\(?:mathrm|text)\s*\{[^{}]{1,20}\}|[A-Za-zÅ°μµ]+)(?:\s*\^\s*\{?-?\d\}?)?"
    r"(?:\s*/\s*(?:\\(?:mathrm|text)\s*\{[^{}]{1,20}\}|[A-Za-z]+))?)")


_DOLLAR_AMOUNT = re.compile(r"\\\$\s*\d|(?<![\\$\w])\$\d[\d,]*(?:\.\d+)?(?![\d$]|\.\d|\s*\$|[A-Za-z\\^_{])")
"""An amount of money written with a dollar sign: `\\$5` in LaTeX, `$5` or `$1,250.50` in plain text (not the math `$5$`,
`$5x + 1$`)."""


def asked_measures(reference: str | None, question: str | None) -> tuple[Measure, ...]:
    """The units an answer may be asked in: the reference's own (`5.4 \\text{ cents}`), else the units the
    question asks for (`in parsecs`, `in units of $\\mathrm{~cm}^{-1}$`, `How many minutes`, `the number of minutes`), else the units
    the question gives its own quantities in (`it takes him 18 minutes`: a time is asked in minutes where no
    other unit of time is named; `20 snowballs in an hour, but 2 melt every 15 minutes` names two; `costs $5` gives
    money in dollars)."""
    if reference is not None:
        own = answer_measure(reference)
        if own is not None:
            return (own,)
    if not question:
        return ()
    asked = _distinct(_inverse(measure_of(text)) if match.group("inverse") else measure_of(text)
                      for match in _ASKED_IN.finditer(question)
                      if (text := _asked_unit_text(match.group("unit"))) is not None)
    given = [measure_of(match.group("unit")) for match in _GIVEN_IN.finditer(question)]
    if _DOLLAR_AMOUNT.search(question):
        given.append(_one_unit("dollar"))  # `One glass costs $5`: money is given in dollars
    return asked or _distinct(given)


def _inverse(measure: Measure | None) -> Measure | None:
    """The unit asked for as `in inverse cm^3`: one over it."""
    return None if measure is None else _power(measure, -1)


def _asked_unit_text(text: str) -> str | None:
    """The unit after `in`/`how many` as `measure_of` reads it; None for `in $s$`, a variable as often as a unit."""
    if text.startswith("$"):
        text = text.strip("$").strip()
        return None if re.fullmatch(r"[A-Za-z]", text) else text
    if text.startswith("\\("):
        return text[2:-2]
    return text.rstrip(".,?;:")


def _distinct(measures: Iterable[Measure | None]) -> tuple[Measure, ...]:
    """The units read, each once, in order."""
    return tuple(dict.fromkeys(measure for measure in measures if measure is not None))


def in_asked_unit(canonical: str, given: Measure, asked: tuple[Measure, ...]) -> str | None:
    """The canonical number `canonical`, given in `given`, written in the one unit of `asked` that measures the
    same kind; None when there is no such unit or several, the scales agree (nothing to convert) or
    `canonical` is not one number."""
    same_kind = [measure for measure in asked if measure.kind == given.kind]
    if len(same_kind) != 1:
        return None
    target = same_kind[0]
    if given.scale == target.scale and given.offset == target.offset:
        return None
    number = parse_exact_number(canonical)
    if number is None and re.fullmatch(r"10\^(?:\{[-+]?\d+\}|[-+]?\d)", canonical):
        number = parse_exact_number("1\\times" + canonical)  # a bare power of ten, `10^{-3}`
    if number is None or number.percent:
        return None
    value = (number.value * given.scale + given.offset - target.offset) / target.scale
    ulp = number.ulp * given.scale / target.scale if number.ulp is not None else None
    return _number_text(value, ulp)


def _number_text(value: Fraction, ulp: Fraction | None) -> str:
    """`value` as a canonical number: a decimal at the place `ulp` where that is a power of ten, an integer,
    or a fraction."""
    if ulp is not None and ulp < 1 and (places := _decimal_places(ulp)) is not None:
        return f"{float(value):.{places}f}" if abs(value) < 10**15 else fraction_text(value)
    return fraction_text(value)


def _decimal_places(ulp: Fraction) -> int | None:
    places = 0
    while ulp < 1 and places < 30:
        ulp *= 10
        places += 1
    return places if ulp == 1 else None



_RADIANS_NAMED = re.compile(r"(?<![A-Za-z\\])rad(?:ians?)?(?![A-Za-z])(?!\s*(?:/|\\cdot|\^|per\b|\\text\{\s*per\b|\w))")
"""An angle's unit named radians, not a rate (`rad/s`, `radians per second`)."""
_DEGREE_MARK = re.compile(r"\\circ(?![A-Za-z])|°|\\degree(?![A-Za-z])|\^(?:\{o\}|o(?![A-Za-z]))|(?<![A-Za-z])degrees?(?![A-Za-z])")
"""An angle written in degrees: `\\circ`, `°`, `\\degree`, `^o` or the word."""


def degrees_asked(reference: str | None, question: str | None) -> bool:
    """Whether a problem's angle answer is in degrees: its reference carries a degree mark (`76^\\circ`, `45°`), or its
    question speaks of degrees and never of radians."""
    if reference is not None and _DEGREE_MARK.search(reference):
        return True
    return question is not None and _DEGREE_MARK.search(question) is not None and "radian" not in question.lower()


def radians_in_degrees(answer: str, canonical: str) -> str:
    """The canonical string of an answer in degrees where the answer names radians (`\\frac{\\pi}{3} \\text{ radians}`
    is 60; `76 \\text{ radians}` is not 76, the number `units.py` would leave once the unit is dropped); the canonical
    string as it is otherwise. An angle has no exact rational scale, so the conversion is written out for the
    comparison to evaluate."""
    if _RADIANS_NAMED.search(answer) is None or _DEGREE_MARK.search(answer) is not None:
        return canonical
    return f"({canonical})\\cdot\\frac{{180}}{{\\pi}}"


def angle_in_asked_unit(answer: str, degrees: bool) -> str | None:
    """The side of an answer that writes one angle in both units (`30^\\circ = \\frac{\\pi}{6}`, `\\frac{\\pi}{6} = 30^\\circ`)
    in the unit its problem asks for: the side with the degree mark where degrees are asked, else the side in
    radians (with `\\pi`); None for any other answer."""
    sides = answer.split("=")
    if len(sides) != 2 or not one_angle_in_two_units(*sides):
        return None
    degree_side, radian_side = (sides[0], sides[1]) if _DEGREE_MARK.search(sides[0]) else (sides[1], sides[0])
    return (degree_side if degrees else radian_side).strip()


def one_angle_in_two_units(first: str, second: str) -> bool:
    """Whether two forms are one angle in degrees and in radians (`120^\\circ` and `\\frac{2\\pi}{3}`): one of them
    carries a degree mark, and the other has `\\pi`."""
    in_degrees = [_DEGREE_MARK.search(side) is not None for side in (first, second)]
    if in_degrees[0] == in_degrees[1]:
        return False
    radian_side = second if in_degrees[0] else first
    return "\\pi" in radian_side or "π" in radian_side
