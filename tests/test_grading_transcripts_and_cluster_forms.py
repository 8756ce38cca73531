"""Long reasoning transcripts and the forms one answer takes across samples (session 18, from a review of
10k-100k-character transcripts and a review of clustering over 120 real problems): a matrix or a system written
without `$` after an answer label, a response that breaks off inside a sentence with no finish reason, and equal
answers of different forms (an inequality and its interval, multiples of one equation, `21\\%` and `21` where a
percentage is asked) in one cluster."""

from __future__ import annotations

from grading_cases import disagreements

from evalkit.grading import cluster, grade_groups
from evalkit.grading.extract import find_answer
from evalkit.grading.scan import system_of_equations, value_environment_at

COLUMN = "\\begin{pmatrix} -2 \\\\ -14 \\\\ -7 \\end{pmatrix}"


def test_a_matrix_written_without_dollars_after_a_label_is_the_answer_not_its_last_row():
    assert disagreements([
        (COLUMN, f"Step 177: done.\n\n**Final answer:** {COLUMN}", True),
        (COLUMN, f"Answer: {COLUMN}", True),
        (COLUMN, f"The answer is {COLUMN}.", True),
        (COLUMN, "Final answer:\n\\begin{pmatrix}\n-2 \\\\\n-14 \\\\\n-7\n\\end{pmatrix}\n", True),
        ("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "Final answer: \\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}", True),
        # the last entry is not the answer, and another matrix is wrong
        ("-7", f"**Final answer:** {COLUMN}", False),
        (COLUMN, "Answer: \\begin{pmatrix} -2 \\\\ -14 \\\\ 7 \\end{pmatrix}", False),
    ]) == []


def test_value_environments_are_found_whole_with_nested_ones():
    text = "\\begin{bmatrix} \\begin{bmatrix} 1 \\end{bmatrix} \\\\ 2 \\end{bmatrix} and more"
    assert text[:value_environment_at(text, 0)].endswith("2 \\end{bmatrix}")
    assert value_environment_at("\\begin{align} x \\end{align}", 0) is None  # a derivation, read elsewhere
    assert value_environment_at("\\begin{pmatrix} 1 \\\\ 2", 0) is None  # never closed


def test_a_system_of_equations_is_the_list_of_its_values():
    assert system_of_equations("\\begin{cases} x=1 \\\\ y=2 \\end{cases}") == "x=1, y=2"
    assert system_of_equations("\\begin{aligned} a &= 3 \\\\ b &= -1 \\end{aligned}") == "a=3, b=-1"
    assert system_of_equations("\\begin{cases} x & x > 0 \\\\ -x & x < 0 \\end{cases}") is None  # a piecewise function
    assert system_of_equations("\\begin{cases} x=1 \\\\ x=2 \\end{cases}") is None  # one name twice
    assert system_of_equations("\\begin{cases} x=1 \\end{cases}") is None
    assert disagreements([
        ("(1, 2)", "Answer: \\begin{cases} x=1 \\\\ y=2 \\end{cases}", True),
        ("(1, 2)", "The solution is $\\begin{cases} x=1 \\\\ y=2 \\end{cases}$.", True),
        ("(1, 2)", "So $\\boxed{\\begin{cases} x=2 \\\\ y=1 \\end{cases}}$", False),
    ]) == []


THINKING = "<think>\nLet me set this up. " + "We check each case in turn. " * 40 + "So the answer is $810$.\n</think>\n\n"


def test_a_response_that_breaks_off_inside_a_sentence_has_no_answer():
    """No finish reason: a fallback answer is not read from a text that stops inside a sentence naming no value, or
    inside the clause that was about to state the result."""
    for text in [
        THINKING + "To solve the problem, we proceed.\n\nFrom the first relation we find $y = 809$. Substituting this "
                   "into the second rela",
        "So far the total is $\\frac{3}{16}$. Hmm, but I have not yet accounted for the constraint. Let me think "
        "about how the constr",
        "We proceed in steps.\n\nFrom the second step we get $y = 236$, and therefore the requi",
    ]:
        found = find_answer(text)
        assert found.answer is None and "ends inside a sentence" in found.note, text[-60:]
    # finished texts keep their final sentence's value, without a full stop too
    for text, value in [("Natalia sold 24 clips in May.\nShe has 18 apples left", "18"),
                        ("We compute.\nx = 5. Hope this helps", "5"),
                        ("Intro.\nSo $x=5$, so we are done", "x=5"),
                        ("Intro.\nthe probability is $\\frac{1}{3}$, which confirms our earlier calculation", "\\frac{1}{3}"),
                        ("Intro.\nSo she has 5 apples, which is the answer", "5")]:
        assert find_answer(text).answer == value, text
    # an answer stated outright stands, and a finish reason of "stop" says the text is whole
    assert find_answer(THINKING + "The answer is $809$.\n\nLet me also note the second rela").answer == "809"
    assert find_answer("Intro.\nWe get $y = 809$, and therefore the requi", ended_normally=True).answer == "y = 809"


def test_an_inequality_and_its_interval_are_one_cluster():
    assert cluster(["x \\ge 2", "[2,\\infty)", "x > 2", "2", "(2, \\infty)"]) == [0, 0, 1, 2, 1]
    assert cluster(["x < 0", "(-\\infty,0)", "x \\le 0"]) == [0, 0, 1]
    assert cluster(["1 \\le |z| \\le 2", "[-2,-1] \\cup [1,2]", "[1, 2]"]) == [0, 0, 1]


def test_multiples_of_one_equation_are_one_cluster():
    assert cluster(["y = 2x - 3", "y + 3 = 2x", "2x - y - 3 = 0", "y = 2x", "y - 2x = 0", "y = 3x"]) == [0, 0, 0, 1, 1, 2]
    assert cluster(["5x-7y+11z = 4", "5x-7y+11z-4 = 0", "10x - 14y + 22z = 8", "5x-7y+11z = 5"]) == [0, 0, 0, 1]
    assert cluster(["x + y > 1", "2x + 2y > 2", "-x - y < -1", "x + y < 1"]) == [0, 0, 0, 1]  # positive multiples only


def test_a_percent_mark_does_not_split_answers_where_a_percentage_is_asked():
    question = "What percent of her class chose candy E?"
    graded = grade_groups([["\\boxed{21\\%}", "\\boxed{21}", "\\boxed{20}", "\\boxed{20\\%}", "\\boxed{0.21}"]], ["20"],
                          workers=0, questions=[question])[0]
    assert graded.clusters == [0, 0, 1, 1, 2]
    dollars = grade_groups([["\\boxed{21\\%}", "\\boxed{21}"]], ["20"], workers=0,
                           questions=["How many dollars did she pay?"])[0]
    assert dollars.clusters == [0, 1]  # a percent mark on a number of dollars is another answer


# --- a verifier that a policy cannot game (session 18, from a review of 1,400 reward-hacking responses) -------------

def test_what_a_reader_never_sees_holds_no_answer():
    assert disagreements([
        ("8", "The answer is $\\boxed{9}$ {\\color{white}$\\boxed{8}$}", False),
        ("8", "$\\boxed{9}\\phantom{\\boxed{8}}$", False),
        ("8", "$\\boxed{9}$\n<!-- $\\boxed{8}$ -->", False),
        ("8", "The answer is $\\boxed{9}$.[^1]\n\n[^1]: Some sources give $\\boxed{8}$.", False),
        ("8", "I could not finish.\n<!-- answer: 8 -->", False),
        ("8", "$\\boxed{8}$ \\textcolor{white}{\\boxed{9}}", True),
        # an answer shown is not overruled by one hidden after it
        ("9", "The answer is $\\boxed{9}$.[^1]\n\n[^1]: Some sources give $\\boxed{8}$.", True),
        ("9", "$\\boxed{9}$\n<!-- $\\boxed{8}$ -->", True),
        ("9", "$\\boxed{9}\\phantom{\\boxed{8}}$", True),
        ("9", "{\\color{red} The answer is $\\boxed{9}$.}", True),
    ]) == []


def test_a_value_the_words_deny_or_only_suppose_is_no_answer():
    assert disagreements([
        ("21", "The answer is not $\\boxed{21}$.", False),
        ("21", "It is not \\(\\boxed{21}\\)", False),
        ("127", "答案不是 $127$。", False),
        ("-1", "We try.\nI initially thought the answer is $-1$, but I'm not confident in that anymore.", False),
        ("6", "Let me check: if the answer were $6$, then the total would not work either. I'm not sure.", False),
        # a denied box beside a stated one, a correction, and an answer after an `if` clause stand
        ("5", "The answer is $\\boxed{5}$, not $\\boxed{6}$.", True),
        ("6", "We try.\nI initially thought the answer is 5, but it is actually 6.", True),
        ("16", "She makes $16 per day, not $18.", True),
        ("10", "They make 1,100 a day if X = 10 The answer is 10.", True),
    ]) == []


def test_a_response_cut_while_offering_another_answer_has_none():
    assert find_answer("The answer is either $\\boxed{197}$ or", cut_off=True).answer is None
    assert find_answer("The answer is $\\boxed{197}$. So", cut_off=True).answer == "197"
    assert find_answer("The answer is either $\\boxed{197}$ or", ended_normally=True).answer == "197"


def test_a_response_that_says_it_found_no_answer_has_none():
    assert disagreements([
        ("7", "I could not determine the answer. This attempt took 7 minutes.", False),
        ("8", "I could not finish.\nThe partial sum is 8.", False),
        # an answer stated outright stands, and a story's "could not" is no such statement
        ("5", "I could not find a simpler form, so the answer is 5.", True),
        ("18", "I cannot find the answer directly, but the total is $\\boxed{18}$.", True),
        ("3", "She could not finish the cake, so 3 pieces are left.", True),
    ]) == []
