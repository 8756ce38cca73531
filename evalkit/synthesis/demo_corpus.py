"""A small built-in set of math passages, one templated exercise per passage and stage.

The passages are short explanations written for evalkit, eight for each school stage and two
for each contest stage of JiuZhang3.0's eight education stages. They are the "other
mathematics" of the demo world (`evalkit.synthesis.demo_world`), and a corpus for tests.
`templated_exercise` writes a deterministic (problem, solution) pair for a text at a stage,
numbers drawn from the text's hash: the demo teacher learns to answer these texts with it.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoPassage:
    stage: str
    text: str


def _p(stage: str, text: str) -> DemoPassage:
    return DemoPassage(stage=stage, text=" ".join(text.split()))


DEMO_PASSAGES: tuple[DemoPassage, ...] = (
    # grade school
    _p("grade_school", """Adding means putting groups together. If a basket holds 7 oranges and we put in 5
       more, counting on from 7 gives 8, 9, 10, 11, 12, so the basket now holds 12 oranges."""),
    _p("grade_school", """Subtraction tells how many are left. A class had 24 crayons and lost 9 of them.
       Taking 9 away from 24 leaves 15 crayons, and adding 9 back to 15 checks the work."""),
    _p("grade_school", """Multiplication is repeated addition. Four rows of chairs with 6 chairs in each row
       make 6 + 6 + 6 + 6 chairs, which is the same as 4 times 6, or 24 chairs."""),
    _p("grade_school", """Sharing equally is division. When 20 stickers are shared among 5 friends, each
       friend gets 4 stickers, because 5 groups of 4 make 20."""),
    _p("grade_school", """Money problems use addition and subtraction. A toy costs 13 dollars and a book
       costs 8 dollars. Together they cost 21 dollars, and paying with 30 dollars gives 9 dollars in change."""),
    _p("grade_school", """Telling time: an hour has 60 minutes. A movie that starts at 3:15 and lasts 45
       minutes ends at 4:00, because 15 plus 45 minutes makes one full hour."""),
    _p("grade_school", """Place value: in the number 347 the digit 3 means 3 hundreds, the 4 means 4 tens
       and the 7 means 7 ones, so 347 is 300 plus 40 plus 7."""),
    _p("grade_school", """Doubling a number means adding it to itself. A plant that is 9 centimetres tall
       and doubles its height becomes 18 centimetres tall."""),
    # middle school
    _p("middle_school", """A fraction names part of a whole. To add 1/4 and 2/3, rewrite both with the
       common denominator 12: 3/12 plus 8/12 equals 11/12."""),
    _p("middle_school", """A percent is a ratio out of 100. Twenty percent of 80 is 0.20 times 80, which is
       16, so a jacket priced at 80 dollars with a 20 percent discount costs 64 dollars."""),
    _p("middle_school", """A ratio compares two quantities. If the ratio of boys to girls is 3 to 5 and there
       are 40 students, then each part is 40 divided by 8, which is 5, so there are 15 boys."""),
    _p("middle_school", """Solving a linear equation means undoing operations in reverse order. For 3x + 7
       = 22, subtract 7 to get 3x = 15 and then divide by 3 to find x = 5."""),
    _p("middle_school", """Negative numbers extend the number line to the left of zero. The temperature
       rose from -6 degrees to 4 degrees, a change of 4 minus (-6), which is 10 degrees."""),
    _p("middle_school", """The area of a rectangle is its length times its width, and its perimeter is
       twice the sum of length and width. A 7 by 3 rectangle has area 21 and perimeter 20."""),
    _p("middle_school", """The mean of a list is its sum divided by how many numbers it has. The mean of 4,
       8, 9 and 11 is 32 divided by 4, which is 8."""),
    _p("middle_school", """Unit rates compare to one. A car that travels 150 kilometres in 3 hours moves at
       50 kilometres per hour, so in 5 hours it would travel 250 kilometres."""),
    # high school
    _p("high_school", """A quadratic equation ax^2 + bx + c = 0 can be solved by factoring when possible.
       For x^2 - 5x + 6 = 0 the factors are (x - 2)(x - 3), so the roots are 2 and 3."""),
    _p("high_school", """Exponents multiply when powers are raised to powers and add when equal bases are
       multiplied: 2^3 times 2^4 is 2^7, which equals 128."""),
    _p("high_school", """A logarithm answers which power gives a number. Since 10^3 = 1000, the base-ten
       logarithm of 1000 is 3, and log base 2 of 32 is 5."""),
    _p("high_school", """In a right triangle the sine of an angle is the opposite side over the hypotenuse.
       With opposite side 3 and hypotenuse 5, the sine is 3/5 and the cosine is 4/5."""),
    _p("high_school", """An arithmetic sequence adds the same difference each time. The sequence 5, 9, 13,
       ... has difference 4, so its 10th term is 5 + 9 times 4, which is 41."""),
    _p("high_school", """The slope of a line through two points is the change in y over the change in x.
       Through (1, 2) and (4, 11) the slope is 9/3 = 3, and the line is y = 3x - 1."""),
    _p("high_school", """A function assigns one output to each input. For f(x) = 2x^2 - 3, the value at x = 4
       is 2 times 16 minus 3, which is 29."""),
    _p("high_school", """The probability of an event with equally likely outcomes is favourable outcomes
       over all outcomes. Rolling a fair die, the chance of a number greater than 4 is 2/6 = 1/3."""),
    # college
    _p("college", """The derivative measures instantaneous rate of change. By the power rule the
       derivative of x^n is n x^(n-1), so the derivative of 4x^3 - 2x is 12x^2 - 2."""),
    _p("college", """A definite integral accumulates area. The integral of 3x^2 from 0 to 2 is x^3
       evaluated from 0 to 2, which equals 8."""),
    _p("college", """The determinant of a 2 by 2 matrix with rows (a, b) and (c, d) is ad - bc. The
       matrix with rows (3, 1) and (4, 2) has determinant 6 - 4 = 2, so it is invertible."""),
    _p("college", """An eigenvector of a matrix keeps its direction when the matrix acts on it. For a
       diagonal matrix with entries 2 and 5, the eigenvalues are 2 and 5."""),
    _p("college", """A limit describes the value a function approaches. As x approaches 0, sin(x)/x
       approaches 1, while (x^2 - 1)/(x - 1) approaches 2 as x approaches 1."""),
    _p("college", """The expected value of a random variable is the probability-weighted average of its
       values. A fair coin paying 10 dollars on heads and nothing on tails has expected value 5."""),
    _p("college", """A geometric series with ratio r between -1 and 1 converges to a/(1 - r). The series 1
       + 1/2 + 1/4 + ... therefore sums to 2."""),
    _p("college", """The number of ways to choose k items from n is n!/(k!(n-k)!). Choosing 2 books from
       6 can be done in 15 ways."""),
    # contests
    _p("amc10", """Working modulo a number keeps only remainders. Since 2^4 = 16 leaves remainder 1
       modulo 5, the powers of 2 modulo 5 repeat every four steps, and 2^100 leaves remainder 1."""),
    _p("amc8", """The pigeonhole principle says that if 13 people are in a room, two of them share a
       birth month, since there are only 12 months to hold them."""),
    _p("amc8", """The sum of the digits of a number has the same remainder modulo 9 as the number
       itself. So 4758 has digit sum 24 and leaves remainder 6 when divided by 9."""),
    _p("amc12", """The AM-GM inequality states that the arithmetic mean of non-negative numbers is at
       least their geometric mean. For positive x, x + 1/x is therefore at least 2."""),
    _p("amc10", """Counting lattice paths: a path from (0, 0) to (4, 3) using unit steps right and up
       has 7 steps, 3 of them up, so there are 7 choose 3 = 35 such paths."""),
    _p("aime", """A Diophantine equation asks for integer solutions. The equation 3x + 5y = 31 has
       the non-negative solutions (2, 5), (7, 2), so there are exactly 2 of them."""),
    _p("amc12", """The number of divisors of n = p^a q^b is (a + 1)(b + 1). Since 72 = 2^3 times
       3^2, it has 4 times 3 = 12 positive divisors."""),
    _p("aime", """Telescoping sums collapse. Writing 1/(k(k+1)) as 1/k - 1/(k+1), the sum from k = 1
       to 9 equals 1 - 1/10 = 9/10."""),
)


def _rng_for(text: str, salt: int) -> random.Random:
    digest = hashlib.sha256(f"{salt}:{text}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def templated_exercise(text: str, stage: str, salt: int = 0) -> tuple[str, str]:
    """A deterministic (problem, solution) pair for a text and stage, numbers drawn from its hash.

    The solution always ends in `\\boxed{answer}`, so the template teaches the output format.
    """
    rng = _rng_for(text, salt)
    a, b = rng.randint(2, 40), rng.randint(2, 20)
    if stage == "grade_school":
        return (f"A shop has {a} pencils and gets {b} more. How many pencils does it have now?",
                f"We add the pencils: {a} + {b} = {a + b}. The answer is $\\boxed{{{a + b}}}$.")
    if stage == "middle_school":
        x, k = rng.randint(1, 12), rng.randint(2, 9)
        return (f"Solve {k}x + {b} = {k * x + b} for x.",
                f"Subtract {b} to get {k}x = {k * x}, then divide by {k}: x = {x}. The answer is $\\boxed{{{x}}}$.")
    if stage == "high_school":
        r, s = rng.randint(1, 9), rng.randint(1, 9)
        return (f"Find the sum of the roots of x^2 - {r + s}x + {r * s} = 0.",
                (f"The polynomial factors as (x - {r})(x - {s}), so the roots are {r} and {s} "
                 f"and their sum is {r + s}. The answer is $\\boxed{{{r + s}}}$."))
    if stage == "college":
        c, t = rng.randint(2, 9), rng.randint(1, 5)
        return (f"Let f(x) = {c}x^2. Compute f'({t}).",
                f"By the power rule f'(x) = {2 * c}x, so f'({t}) = {2 * c * t}. The answer is $\\boxed{{{2 * c * t}}}$.")
    if stage == "amc8":
        m = rng.choice((3, 5, 7, 11))
        n = rng.randint(10, 99)
        return (f"What is the remainder when {n} is divided by {m}?",
                (f"We write {n} = {m} \\cdot {n // m} + {n % m}, so the remainder is {n % m}. "
                 f"The answer is $\\boxed{{{n % m}}}$."))
    if stage == "amc10":
        k = rng.randint(2, 5)
        n = k + rng.randint(2, 5)
        ways = _choose(n, k)
        return (f"In how many ways can a team of {k} be chosen from {n} students?",
                f"The number of teams is {n} choose {k} = {ways}. The answer is $\\boxed{{{ways}}}$.")
    if stage == "amc12":
        p, q = rng.choice((2, 3)), rng.choice((5, 7))
        i, j = rng.randint(1, 4), rng.randint(1, 3)
        count = (i + 1) * (j + 1)
        return (f"How many positive divisors does {p ** i * q ** j} have?",
                (f"Since {p ** i * q ** j} = {p}^{i} \\cdot {q}^{j}, it has ({i} + 1)({j} + 1) = {count} divisors. "
                 f"The answer is $\\boxed{{{count}}}$."))
    n = rng.randint(5, 40)
    total = n * (n + 1) // 2
    return (f"Find the sum of the first {n} positive integers, modulo 1000.",
            (f"The sum is {n} \\cdot {n + 1} / 2 = {total}, which leaves {total % 1000} modulo 1000. "
             f"The answer is $\\boxed{{{total % 1000}}}$."))


def _choose(n: int, k: int) -> int:
    from math import comb

    return comb(n, k)
