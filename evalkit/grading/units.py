"""Units and words after a value: which are dropped, which multiply, which are kept.

The rule (the only place it is written):

* A trailing word group after a value is dropped when *every* word in it is a unit of
  measurement or currency (`cm`, `square inches`, `km/h`, `dollars`) or a counted noun that
  real answers put after a count (`18 students`, `210 ways`, `5 apples`); `^2`/`^3` after it
  go too. Any other word is kept, so `2 \\text{apples and oranges}`-style phrases and words
  that change the answer survive and compare as written.
* `hundred`, `thousand`, `million`, `billion`, `trillion` multiply the number before them
  (`\\$2.5\\text{ million}` is 2500000).
* `a.m.`/`p.m.` (and `am`, `pm`, `AM`, `PM`) are kept: `9 a.m.` is a time of day, not `9`.

The word lists are learnt from real data: the units and the nouns that follow numbers in the
MATH and GSM8K answers and in "How many X" questions of their train splits.
"""

from __future__ import annotations

import re
from fractions import Fraction

MULTIPLIERS: dict[str, int] = {
    "hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
    "trillion": 1_000_000_000_000,
}

_MONEY_SCALE_LETTERS: dict[str, str] = {"bn": "billion", "k": "thousand", "K": "thousand", "M": "million", "B": "billion"}
MONEY_SCALE_LETTER = "(?:" + "|".join(_MONEY_SCALE_LETTERS) + ")"
"""A scale letter after an amount of money (`k`, `K`, `M`, `B`, `bn`), as a pattern (`money_scale_word` reads it)."""


def money_scale_word(letter: str, *, dollar_sign: bool, dollars_after: bool) -> str | None:
    """The scale word a letter after an amount stands for where the amount is money: `$70k` is 70 thousand dollars,
    `1.43k dollars` 1430 dollars; `B` only after a dollar sign (`5B dollars` is not read so). None where the amount is
    not money (`70k` is 70 times k) or the letter is no scale."""
    if letter not in _MONEY_SCALE_LETTERS or not (dollar_sign or (dollars_after and letter != "B")):
        return None
    return _MONEY_SCALE_LETTERS[letter]

MERIDIEM_PATTERN = re.compile(r"^\s*(a\.?\s?m\.?|p\.?\s?m\.?)\s*$", re.IGNORECASE)
"""`a.m.`, `am`, `A.M.`, `p.m.`, `pm`, `P.M.`: the words that make a number a time of day."""

_MEASUREMENT_UNITS = """
mm cm dm m km in inch inches ft foot feet yd yard yards mi mile miles meter meters metre metres
millimeter millimeters centimeter centimeters decimeter decimeters kilometer kilometers
micrometer micrometers nanometer nanometers angstrom angstroms au ly lightyear lightyears
square sq cubic cu squared cubed units unit
mg g gm gram grams kg kilogram kilograms milligram milligrams microgram micrograms
lb lbs pound pounds oz ounce ounces ton tons tonne tonnes stone
ml mL l L liter liters litre litres milliliter milliliters millilitre millilitres cl dl
gal gallon gallons qt quart quarts pt pint pints cup cups tbsp tablespoon tablespoons tsp
teaspoon teaspoons barrel barrels bushel bushels
s sec secs second seconds ms min mins minute minutes h hr hrs hour hours day days week weeks
month months year years yr yrs decade decades century centuries millisecond milliseconds
microsecond microseconds nanosecond nanoseconds
mph kph kmh km/h m/s cm/s ft/s mi/h rpm bpm fps
deg degree degrees rad rads radian radians grad
k K kelvin celsius fahrenheit °C °F
n N newton newtons J joule joules kJ cal kcal calorie calories kw kW kilowatt kilowatts w W watt
watts kwh kWh v V volt volts a A amp amps ampere amperes ohm ohms pa Pa kpa kPa atm bar hz Hz khz
kHz mhz MHz ghz GHz ev eV kev keV mev MeV c C coulomb coulombs t T tesla mol mole moles
acre acres hectare hectares ha
dollar dollars usd cent cents penny pennies nickel nickels dime dimes quarter quarters
euro euros pound sterling yen yuan rupee rupees
percent percentage pct
nm um fm pm Å angstrom arcsec arcsecond arcseconds arcmin arcminute arcminutes mas
pc kpc Mpc Gpc parsec parsecs kiloparsec kiloparsecs megaparsec megaparsecs AU
Gyr Myr kyr Gyrs Myrs gigayear gigayears megayear megayears
erg ergs GeV TeV meV amu Da dalton daltons dyn dyne dynes Jy mJy gauss G
mag mags magnitude magnitudes sr steradian steradians lm lumen lumens lx lux cd candela
mmHg torr Torr psi GW MW mW TW GHz THz mJ MJ GJ ns fs ps nanosecond nanoseconds femtosecond femtoseconds
Gy Sv Bq Ci bit bits byte bytes kb kB Mb MB Gb GB Tb TB dB
solar masses mass radii radius luminosity luminosities arcsecs arcmins
"""

_COUNTED_NOUNS = """
people person persons students student teachers teacher children child kids kid boys boy girls
girl men man women woman adults adult friends friend members member players player employees
employee workers worker customers customer guests guest passengers passenger parents family
families babies baby
ways way times time points point values value integers integer numbers number digits digit
solutions solution pairs pair triples triangles triangle squares square rectangles rectangle
circles circle sides side edges edge vertices vertex faces face diagonals diagonal lines line
segments segment terms term factors factor divisors divisor multiples multiple elements element
subsets subset combinations combination arrangements arrangement permutations permutation
possibilities outcomes outcome paths path steps step moves move rounds round games game matches
match handshakes handshake rows row columns column cells cell tiles tile blocks block cubes cube
sets set trips trip laps lap questions question problems problem pages page books book words
word letters letter cards card tickets ticket votes vote seats seat chairs chair tables table
rooms room floors floor houses house cars car bikes bike wheels wheel tires tire legs leg eyes eye
apples apple oranges orange bananas banana cookies cookie cupcakes cupcake cakes cake pies pie
pizzas pizza slices slice pieces piece eggs egg candies candy marbles marble balls ball balloons
balloon stickers sticker stamps stamp coins coin pencils pencil pens pen crayons crayon toys toy
dolls doll flowers flower roses rose trees tree plants plant seeds seed fish fishes birds bird dogs
dog cats cat animals animal cows cow chickens chicken ducks duck goats goat sheep horses horse
rabbits rabbit frogs frog pets pet bottles bottle cans can boxes box bags bag jars jar cups bowls
bowl plates plate glasses glass packs pack packages package containers container bags boxes
meals meal sandwiches sandwich servings serving scoops scoop drinks drink songs song movies movie
photos photo pictures picture paintings painting shirts shirt shoes shoe socks sock dresses dress
hats hat necklaces necklace bracelets bracelet beads bead buttons button bricks brick nails nail
stones logs log sticks stick straws straw shells shell seashells seashell rocks rock
items item objects object things thing units pieces jellybeans gumballs lollipops donuts
doughnuts brownies muffins muffin crackers cracker chips chip grapes grape strawberries strawberry
tomatoes tomato potatoes potato carrots carrot lemons lemon peaches peach plums plum
watermelons watermelon vegetables vegetable fruits fruit nuts nut
atoms atom molecules molecule photons photon electrons electron protons proton neutrons neutron nuclei
nucleus particles particle ions ion pulse pulses cycles cycle revolutions revolution rev revs orbits orbit
hits goals goal runs run shots shot baskets basket miles laps visits visit calls call messages
message emails email texts text posts post followers follower likes like views view
"""

UNIT_WORDS = frozenset(_MEASUREMENT_UNITS.split())
"""Units of measurement and currency (and `percent`, which `numbers.split_percent` reads first)."""

COUNTED_NOUNS = frozenset(_COUNTED_NOUNS.split())
"""Nouns that follow a count in real answers (`18 students`, `210 ways`)."""

DROPPABLE_WORDS = (UNIT_WORDS | COUNTED_NOUNS) - {"percent", "percentage", "pct"}

_WORD_SEPARATORS = re.compile(r"[\s\-]+|(?<=[a-zA-Z])(?=/)|(?<=/)(?=[a-zA-Z])")
_CONNECTORS = frozenset({"per", "/", "of", "each"})
_QUALIFIERS = frozenset({"old", "long", "tall", "wide", "high", "deep", "thick", "away", "apart", "left", "remaining",
                         "total", "altogether", "overall", "in"})
"""Words that may follow a unit or counted noun without changing the value: `18 years old`,
`5 feet tall`, `3 apples left`, `12 cookies in total`. Never droppable on their own."""
_ARTICLES = frozenset({"the", "a", "an"})
_COUNTED_PRONOUNS = frozenset({"them", "those", "these", "it"})
"""After `of`, an article waits for the counted noun (`3 of the apples`, `\\frac34 of the pie`) and a
pronoun stands for it (`12 of them`)."""


def is_droppable_phrase(phrase: str, *, marked_as_text: bool = False) -> bool:
    """Whether a word group after a value is only units and counted nouns (module rule).

    `square units`, `km/h`, `dollars per hour`, `cubic feet`, `years old` are; `a.m.`,
    `thousand`, `apples and oranges`, `Monday`, `old` alone are not. One-letter units (`m`, `s`, `g`) count only when the text
    marks them as words (`\\text{ m}`, `\\mathrm{g}`): a bare `3 a` is a product.
    """
    cleaned = phrase.strip().rstrip(".").strip()
    if not cleaned or len(cleaned) > 60 or MERIDIEM_PATTERN.match(cleaned):
        return False
    words = [w for w in _WORD_SEPARATORS.split(cleaned) if w]
    if not words or len(words) > 4:
        return False
    seen_unit = False
    # `km/s`, `m/s`: letters joined by a slash are a compound unit, even when one is a single letter
    compound = any(word == "/" for word in words) or bool(re.search(r"[A-Za-z]/[A-Za-z]", cleaned))
    after_of = False  # the word before was `of`, or an article after it
    for word in words:
        word = word.rstrip(".")  # `sq. units`
        lower = word.lower()
        if after_of and (lower in _ARTICLES or lower in _COUNTED_PRONOUNS):
            seen_unit = seen_unit or lower in _COUNTED_PRONOUNS
            after_of = lower in _ARTICLES
            continue
        after_of = lower == "of"
        if word in _CONNECTORS or (seen_unit and lower in _QUALIFIERS):
            continue
        if not re.fullmatch(r"[A-Za-zÅ°]+(?:\^[23])?", word):
            return False
        base = word.split("^")[0]
        if len(base) == 1 and not (marked_as_text or compound):
            return False
        if base not in DROPPABLE_WORDS and base.lower() not in DROPPABLE_WORDS:
            return False
        seen_unit = True
    return seen_unit


def multiplier_of(phrase: str) -> Fraction | None:
    """The factor a trailing word stands for (`million` -> 10**6), or None."""
    factor = MULTIPLIERS.get(phrase.strip().lower())
    return None if factor is None else Fraction(factor)


# --- units written in LaTeX after a value: `41.8 \mathrm{~km/s}`, `8.64 \mathrm{g}/\mathrm{cm}^{3}` ----------

_SI_PREFIXES = ("da", "y", "z", "a", "f", "p", "n", "u", "µ", "μ", "m", "c", "d", "h", "k", "M", "G", "T", "P", "E")
_SI_BASES = frozenset("m g s Hz J W V A K N Pa eV L l mol pc yr C T ohm bar F H Wb Sv Gy Bq cd lm lx erg Jy".split())
_POWER = r"\^\s*(?:\{\s*-?\s*\d+\s*\}|-?\d)"
_FONT_UNIT_AT_END = re.compile(
    r"(?:\\mu\s*)?(?:\\(?:mathrm|text|rm|mbox|textrm|operatorname)\s*\{(?P<marked>(?:[^{}]|\{[^{}]*\})*)\}"
    r"|(?P<angstrom>\\AA|\\mathring\{\s*A\s*\})"
    r"|(?P<sun>(?:\\mathrm\{\s*[MLR]\s*\}|[MLR])\s*_\s*\{?\s*\\odot\s*\}?|\\odot))"
    r"(?:\s*" + _POWER + r")?\s*$")
_BARE_UNIT_AT_END = re.compile(r"(?<![A-Za-z\\\d])(?P<bare>(?:\\mu\s*)?[A-Za-zÅ]{1,12})(?:\s*" + _POWER + r")?\s*$")
_UNIT_JOINER_AT_END = re.compile(r"(?:/|\\cdot|\*)\s*$")
_VALUE_END = re.compile(r"(?:\d|\}|\)|\\pi|\\infty|%|(?<![A-Za-z\\])[A-Za-z]|\\(?:alpha|beta|gamma|delta|epsilon|varepsilon|"
                        r"theta|lambda|mu|nu|rho|sigma|tau|phi|omega|hbar|Omega))$")
"""What a value ends with, before its units: a digit, a closing bracket, a constant, or one symbol
(`7.6 Z \\mathrm{~eV}`, `\\frac{37}{4} m \\mathrm{~N/m}`, `2 \\tau \\text{ s}`)."""


def _is_unit_token(token: str, *, marked: bool) -> bool:
    """One unit symbol or word, with an optional SI prefix (`km`, `\\mu m`, `kpc`, `GeV`, `s`)."""
    token = re.sub(_POWER + r"$", "", token.strip()).strip().rstrip(".")
    token = re.sub(r"^\\mu\s*", "µ", token)
    if not token:
        return False
    if token in DROPPABLE_WORDS or token.lower() in UNIT_WORDS:
        return len(token) > 1 or marked
    if token in _SI_BASES:
        return marked
    return any(token.startswith(prefix) and token[len(prefix):] in _SI_BASES for prefix in _SI_PREFIXES)


def _is_unit_group(content: str, *, marked: bool) -> bool:
    """Whether a group is units only: `~km/s`, `g cm^{-3}`, `eV/atom` inside `\\mathrm{..}`, or `km`."""
    content = content.replace("~", " ").replace("\\,", " ").replace("\\ ", " ").replace("\\AA", "Å").strip()
    if not content or len(content) > 40:
        return False
    parts = [part for part in re.split(r"\s+|/|\\cdot|\*", content) if part]
    return bool(parts) and all(_is_unit_token(part, marked=marked) or part.rstrip(".") in COUNTED_NOUNS
                               for part in parts)


def _unit_at_end(text: str, *, marked_context: bool) -> tuple[int, bool] | None:
    """Where a unit group that ends `text` starts and whether LaTeX marks it as one (`\\mathrm`,
    `\\text`, `\\AA`, `M_\\odot`), or None. A bare symbol counts when it has two or more letters,
    or one when it follows a marked unit (`\\mathrm{km}/s`)."""
    match = _FONT_UNIT_AT_END.search(text)
    if match is not None:
        marked = match.group("marked")
        return (match.start(), True) if marked is None or _is_unit_group(marked, marked=True) else None
    match = _BARE_UNIT_AT_END.search(text)
    if match is not None and _is_unit_group(match.group("bare"), marked=marked_context):
        return match.start(), False
    return None


_MINUTES_AS_OPERATOR = re.compile(r"(?<=[\d}])\s*\\min\s*$")
"""`\\min` right after a value at the end of an answer: minutes written with the `\\min` operator."""


def drop_unit_tail(text: str) -> str:
    """Drop the units written in LaTeX after a value (the module's rule, for units set in math).

    A tail of unit groups, each `\\mathrm{..}`/`\\text{..}`, `\\AA`, `M_\\odot` or a bare unit
    symbol, with powers (`^{-1}`, `^3`) and joined by `/`, `\\cdot` or spaces, goes when what is
    left ends in a value (a digit, `}`, `)`, `\\pi`, `%`) and the tail holds a marked group:
    `41.8 \\mathrm{~km/s}`, `300 \\mathrm{~km} / \\mathrm{s}`, `8.64 \\mathrm{~g} / \\mathrm{cm}^{3}`,
    `7.35 \\times 10^{14} \\text{ s}^{-1}`, `9.6 \\AA`, `50 \\mu\\mathrm{m}`, `2 M_\\odot`. Anything
    else (a variable, a word that is not a unit, `5 / \\mathrm{s}`) leaves the text as it is.
    Bare units without any LaTeX mark (`41.8 km/s`) are `is_droppable_phrase`'s.
    """
    rest = re.sub(r"(?<!\\)[.;,]+$", "", text.rstrip()).rstrip()
    rest = _MINUTES_AS_OPERATOR.sub(r"\\text{min}", rest)  # `45 \min`: the operator's name set as the unit
    marked_seen = False
    for _ in range(8):
        rest = re.sub(r"(?:\\[,;:!]|~)+$", "", rest).rstrip()
        found = _unit_at_end(rest, marked_context=marked_seen)
        if found is None:
            return text
        start, marked = found
        marked_seen = marked_seen or marked
        rest = rest[:start].rstrip()
        joiner = _UNIT_JOINER_AT_END.search(rest)
        if joiner is not None and _unit_at_end(rest[:joiner.start()].rstrip(), marked_context=True) is not None:
            rest = rest[:joiner.start()].rstrip()  # `\mathrm{km} / \mathrm{s}`: another unit before the slash
            continue
        beside = _unit_at_end(rest, marked_context=True)
        if beside is not None and (beside[1] or len(rest[beside[0]:].strip()) > 1):
            continue  # `\mathrm{g}\,\mathrm{cm}^{-3}`: units side by side (one bare letter is a symbol: `m \mathrm{~N/m}`)
        value = re.sub(r"\\cdot$", "", rest).rstrip()
        return value if marked_seen and value and _VALUE_END.search(value) else text
    return text


_NUMBER_THEN_WORDS = re.compile(
    r"^\s*(?P<number>[-+]?(?:\\\$\s*)?\d[\d,]*(?:\.\d+)?(?:\s*(?:\\times|\\cdot)\s*10\s*\^\s*(?:\{\s*-?\d+\s*\}|-?\d))?)"
    r"\s*(?:\\[,;: ]|~|\s)*"
    r"(?:\\(?:text|mbox|textrm|mathrm)\s*\{\s*(?P<marked>[A-Za-z][A-Za-z' -]{0,60}?)\s*\}|(?P<bare>[A-Za-z][A-Za-z' -]{0,60}?))"
    r"\s*\.?\s*$")
_MARKED_WORDS_AT_END = re.compile(r"(?:\\[,;: ]|~|\s)*\\(?:text|mbox|textrm)\s*\{\s*(?P<marked>[A-Za-z][A-Za-z' -]{0,60}?)\s*\}"
                                  r"\s*\.?\s*$")
"""Words set apart as text at the end of an answer (`3n \\text{ planes}`)."""
_NOT_A_NOUN = frozenset("""half halves quarter quarters third thirds fourth fourths fifth fifths dozen dozens hundred
hundreds thousand thousands million millions billion billions percent more less fewer than not no or plus minus
squared cubed am pm""".split())
_WORD = re.compile(r"[A-Za-z]+")


def _stem(word: str) -> str:
    word = word.lower()
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def question_words(question: str | None) -> frozenset[str]:
    """The words of a question, lower-cased and without a plural `s` (what `named_in_question` looks up)."""
    return frozenset(_stem(word) for word in _WORD.findall(question or ""))


def named_in_question(answer: str, words: frozenset[str]) -> str | None:
    """The number of an answer that is a number followed by words the question uses (`18 \\text{ vacuum
    cleaners}` where the question counts vacuum cleaners, `3 \\text{ bolts}`), or an expression followed by such
    words set apart as text (`3n \\text{ planes}`): the nouns it counts, which the unit list cannot hold all of. None when the answer is not such, or a word is not the question's (or says
    how much: `half`, `more`, `percent`; or is shorter than three letters: `2x`, `9.25 m`)."""
    if not words:
        return None
    match = _NUMBER_THEN_WORDS.match(answer)
    if match is not None:
        phrase, value = match.group("marked") or match.group("bare"), match.group("number")
    else:  # `3n \text{ planes}`: an expression, and nouns set apart as text
        marked = _MARKED_WORDS_AT_END.search(answer) if len(answer) <= 200 else None
        head = answer[:marked.start()].strip() if marked is not None else ""
        if not head or re.search(r"\\(?:text|mbox|textrm|mathrm)\b|[=<>]", head):
            return None
        phrase, value = marked.group("marked"), head
    tokens = _WORD.findall(phrase)
    if not tokens or any(len(token) < 3 or token.lower() in _NOT_A_NOUN or _stem(token) not in words
                         for token in tokens):  # a letter after a number is a variable (`2x`) or a unit symbol
        return None
    return value

