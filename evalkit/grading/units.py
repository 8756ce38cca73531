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


def is_droppable_phrase(phrase: str, *, marked_as_text: bool = False) -> bool:
    """Whether a word group after a value is only units and counted nouns (module rule).

    `square units`, `km/h`, `dollars per hour`, `cubic feet` are; `a.m.`, `thousand`, `apples
    and oranges`, `Monday` are not. One-letter units (`m`, `s`, `g`) count only when the text
    marks them as words (`\\text{ m}`, `\\mathrm{g}`): a bare `3 a` is a product.
    """
    cleaned = phrase.strip().rstrip(".").strip()
    if not cleaned or len(cleaned) > 60 or MERIDIEM_PATTERN.match(cleaned):
        return False
    words = [w for w in _WORD_SEPARATORS.split(cleaned) if w]
    if not words or len(words) > 4:
        return False
    seen_unit = False
    for word in words:
        if word in _CONNECTORS:
            continue
        if not re.fullmatch(r"[A-Za-z°]+(?:\^[23])?", word):
            return False
        base = word.split("^")[0]
        if len(base) == 1 and not marked_as_text:
            return False
        if base not in DROPPABLE_WORDS and base.lower() not in DROPPABLE_WORDS:
            return False
        seen_unit = True
    return seen_unit


def multiplier_of(phrase: str) -> Fraction | None:
    """The factor a trailing word stands for (`million` -> 10**6), or None."""
    factor = MULTIPLIERS.get(phrase.strip().lower())
    return None if factor is None else Fraction(factor)
