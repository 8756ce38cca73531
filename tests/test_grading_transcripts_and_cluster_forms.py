"""Long reasoning transcripts and the forms one answer takes across samples (session 18, from a review of
10k-100k-character transcripts and a review of clustering over 120 real problems): a matrix or a system written
without `$` after an answer label, a response that breaks off inside a sentence with no finish reason, and equal
answers of different forms (an inequality and its interval, multiples of one equation, `21\\%` and `21` where a
percentage is asked) in one cluster."""

from __future__ import annotations

from grading_cases import disagreements, disagreements_in_questions

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


# --- answers offered two ways (session 19, the rest of the reward-hacking review) ------------------------------------

def test_a_box_that_offers_another_value_in_parentheses_holds_two_answers():
    assert disagreements([
        ("504", "$\\boxed{504 \\text{ (or } 505\\text{)}}$", False),
        ("504", "$\\boxed{504 \\text{ (or 505)}}$", False),
        ("x=5", "$\\boxed{x=5 \\text{ (or } x=6\\text{)}}$", False),
        ("2^{k-1}", "$\\boxed{2^{k-1} \\text{ (or } 2^{k}\\text{)}}$", False),
        ("45^{\\circ}", "$\\boxed{45^{\\circ} \\text{ (or } 55^{\\circ}\\text{)}}$", False),
        # another form of the same value, or a remark in words, is not a second answer
        ("\\frac{1}{2}", "$\\boxed{0.5 \\text{ (or } \\frac{1}{2}\\text{)}}$", True),
        ("90^\\circ", "$\\boxed{90^\\circ \\text{ (or } \\frac{\\pi}{2} \\text{ radians)}}$", True),
        ("0.5", "$\\boxed{0.5 \\text{ (or equivalently } \\frac{1}{2}\\text{)}}$", True),
        ("504", "$\\boxed{504 \\text{ (rounded)}}$", True),
        ("120^\\circ", "$\\boxed{120^\\circ \\text{ (or } \\frac{2\\pi}{3}\\text{)}}$", True),  # one angle, two units
        ("\\frac{\\pi}{3}", "$\\boxed{\\frac{\\pi}{3} \\text{ (or } 60^\\circ\\text{)}}$", True),
    ]) == []


def test_a_box_offered_as_another_answer_to_the_one_before_it_makes_both_the_answer():
    alternative = "Answer: $\\boxed{11}$\n\nAlternatively, if the other interpretation is meant: $\\boxed{10}$"
    assert find_answer(alternative).answer == "11, 10"
    assert find_answer(alternative.replace("11", "62").replace("10", "63"), "gsm8k").answer == "62, 63"
    each_option = "If it is a line: $\\boxed{A}$. If a circle: $\\boxed{B}$. If a parabola: $\\boxed{C}$."
    assert find_answer(each_option).answer == "A, B, C"
    assert disagreements([
        ("10", alternative, False),
        ("11", alternative, False),
        ("E", each_option.replace("C}$.", "C}$. If a hyperbola: $\\boxed{E}$."), False),
        # the same value again, a verification, a later sentence that goes on thinking, and cases of a piecewise answer
        ("-2,1", "The final answer is either $\\boxed{-2,1}$ or $\\boxed{-2}$.", False),  # a choice between lists
        ("3 \\pm 2 \\sqrt{2}", "The final answer is either $\\boxed{3 \\pm 2 \\sqrt{2}}$ or $\\boxed{3 + 2\\sqrt{2}}$.", False),
        ("-2,1", "The final answer is either $\\boxed{-2}$ or $\\boxed{1}$.", True),  # `x = -2 or x = 1`: the solutions
        ("5", "The answer is $\\boxed{5}$. Alternatively, if we check with another method, we again get $\\boxed{5}$.", True),
        ("14", "So maybe $\\boxed{12}$. If I made an error in step 3, then... the answer is $\\boxed{14}$.", True),
        ("9", "The minimum is $\\boxed{9}$, which occurs at $x=\\boxed{1}$.", True),
    ]) == []


def test_a_final_sentence_that_breaks_its_value_down_states_the_value_first():
    assert disagreements([
        ("41", "We add them up.\n\nThe total is 41: that is 40 plus 1 extra.", True),
        ("41", "We add them up.\n\nThe total is 41, which is 40 plus 1 extra.", True),
        ("40", "We add them up.\n\nThe total is 41: that is 40 plus 1 extra.", False),
        ("13", "We add them up.\n\nThe total is 5 plus 8, which is 13.", True),
        ("15", "We add them up.\n\nThe number of apples is 12 plus 3 equals 15.", True),
    ]) == []


def test_a_denied_value_after_an_answer_marker_or_inside_denied_math_is_no_answer():
    assert disagreements([
        ("21", "We try.\n\nThe answer is not $21$ here", False),
        ("21", "We try.\n\nThe answer is not $x = 21$ here", False),
        ("f(x)=1", "We try.\n\n答案不是 $f(x)=1$。", False),
        ("6", "The answer is not $5$ but $6$.", True),
        ("5", "The answer is not hard to see: $5$.", True),
    ]) == []


def test_number_words_after_the_gsm8k_marker_and_json_answer_lists_are_read():
    assert find_answer("So she has ten.\n#### ten", "gsm8k").answer == "ten"
    assert find_answer("Work\n#### Twenty-five.", "gsm8k").answer == "Twenty-five"
    assert find_answer("#### One more check\nThe answer is 5.", "gsm8k").answer == "5"  # a heading, not a marker
    assert find_answer("x\n#### ten\n#### 12", "gsm8k").answer == "12"
    assert find_answer('Work.\n\n{"answer": ["+2", "+1"]}').answer == "+2, +1"
    assert find_answer('{"answer": [1, 2.5e3]}').answer == "1, 2.5e3"
    assert disagreements([
        ("10", "So she has ten.\n#### ten", True),
        ("+2", 'Work.\n\n{"answer": ["+2", "+1"]}', False),
        ("f(x)=1", "$\\boxed{f \\equiv 1}$", True),
        ("f(x)=x", "$\\boxed{f \\equiv 1}$", False),
        ("n \\equiv 1 \\pmod 3", "$\\boxed{n \\equiv 1 \\pmod 3}$", True),
    ]) == []


def test_an_angle_in_radians_is_read_in_degrees_where_the_problem_asks_for_degrees():
    in_degrees = "Find the measure of angle $A$ in degrees."
    assert disagreements_in_questions([
        (None, "76^\\circ", "The final answer is $\\boxed{76 \\text{ radians}}$.", False),
        (in_degrees, "76", "The final answer is $\\boxed{76 \\text{ radians}}$.", False),
        (None, "60^\\circ", "$\\boxed{\\frac{\\pi}{3} \\text{ radians}}$", True),
        (None, "60^\\circ", "$\\boxed{\\frac{\\pi}{3}\\ \\mathrm{rad}}$", True),
        (None, "76^\\circ", "$\\boxed{76 \\text{ degrees}}$", True),
        # radians asked, or a rate in radians
        ("Find the angle in radians.", "\\frac{\\pi}{3}", "$\\boxed{\\frac{\\pi}{3} \\text{ rad}}$", True),
        ("A wheel turns 30 degrees per second. Find its angular speed in rad/s.", "5", "$\\boxed{5 \\text{ rad/s}}$", True),
        # one angle in both units: the side in the problem's unit
        (None, "30^\\circ", "Hence the angle is $\\boxed{30^\\circ = \\frac{\\pi}{6}}$.", True),
        ("Express your answer in radians.", "\\frac{\\pi}{6}", "So $\\boxed{30^\\circ = \\frac{\\pi}{6}}$.", True),
        (None, "45^\\circ", "So $\\boxed{30^\\circ = \\frac{\\pi}{6}}$.", False),
    ]) == []


# --- programs and their output (session 19, from a review of tool-integrated and program-of-thought outputs) -------

def _ran(output: str) -> str:
    return f"We compute it.\n```python\nresult = solve_it()\nprint(result)\n```\n```output\n{output}\n```"


def test_a_response_that_ends_in_its_programs_output_has_the_printed_value_read_whole():
    assert find_answer(_ran("(3, pi/2)")).answer == "(3, pi/2)"
    assert find_answer(_ran("(8/15,)")).answer == "8/15"  # a one-item tuple
    assert find_answer(_ran("7.500e+07")).answer == "7.500e+07"
    assert find_answer(_ran("Probability: 130/231")).answer == "130/231"
    assert find_answer(_ran("{'x': 3, 'y': 4}")).method == "program_output"
    assert find_answer("Final value: 12/5").answer == "12/5"
    assert disagreements([
        ("\\left(3,\\frac{\\pi}{2}\\right)", _ran("(3, pi/2)"), True),
        ("\\frac{33}{100}", _ran("{33/100}"), True),
        ("\\frac{8}{15}", _ran("(8/15,)"), True),
        ("7.5\\times10^7", _ran("7.500e+07"), True),
        ("6.72\\times 10^{-5}", _ran("6.72e-05"), True),
        ("12.5", _ran("1.250e+01"), True),
        ("\\frac{130}{231}", _ran("Probability: 130/231"), True),
        ("(3,4)", _ran("{'x': 3, 'y': 4}"), True),
        ("(-2,1)", _ran("[{a: -2, b: 1}]"), True),
        ("-2,1", _ran("FiniteSet(-2, 1)"), True),
        ("(3,4]", _ran("Interval.Lopen(3, 4)"), True),
        ("(-\\sqrt{3}, \\sqrt{3})", _ran("Interval.open(-sqrt(3), sqrt(3))"), True),
        ("(-\\infty,0)\\cup(1,\\infty)", _ran("Union(Interval.open(-oo, 0), Interval.open(1, oo))"), True),
        ("(8,-2)", _ran("Point2D(8, -2)"), True),
        ("(1,2)", _ran("Interval(1, 2)"), False),  # closed, not open
        ("42", _ran("42") + "\nSo the answer is $\\boxed{41}$.", False),  # the box after the output is the answer
    ]) == []


def test_a_program_that_failed_or_never_ran_states_no_answer():
    traceback = ("Traceback (most recent call last):\n  File \"<stdin>\", line 3, in <module>\n"
                 "NameError: name 'y' is not defined")
    assert find_answer(_ran(traceback)).answer is None
    assert find_answer(_ran("Cell In[1], line 14\n    print(x\nSyntaxError: incomplete input")).answer is None
    assert find_answer("We compute.\n```python\nx = 1\ny = x * 36\nprint(y)\n```").answer is None
    assert find_answer("```python\ndef solution():\n    return 3 * 12\n```").answer is None
    # a value stated before a check in code, and output after which prose states the answer, stand
    assert find_answer("So the total is 42.\n```python\nprint(6*7)\n```").answer == "42"
    verified = "So the total is 42 apples. Let me verify.\n```python\nprint(6*7 == 42)\n```\n```output\nTrue\n```"
    assert find_answer(verified).answer == "42 apples"  # a check that printed no value
    assert find_answer(_ran(traceback) + "\nFixing the typo, the answer is $\\boxed{3}$.").answer == "3"
    assert find_answer(_ran("Relative error: 0.01")).answer == "0.01"


def test_gpt_oss_decoded_without_its_special_tokens_is_read_after_its_final_channel():
    assert find_answer("analysisWe need it. So answer sqrt(5).assistantfinal**Answer: sqrt(5)**").answer == "sqrt(5)"
    assert find_answer("analysisSo answer 5.3e-9.assistantfinal**Answer:** 5.3e-9").answer == "5.3e-9"
    assert find_answer("analysisLet me think about 7.assistantfinalThe answer is $\\boxed{12}$.").answer == "12"


def test_the_many_ways_a_run_shows_what_it_printed():
    """Session 19, from a second review of code-using outputs: quoted strings, NumPy values, assignments, solution
    dicts, tagged results, notebook and REPL transcripts, Llama 3.1's tool turns, e-notation and backticks in prose."""
    llama = ("I will write a short program.\n\n<|python_tag|>print(answer)<|eom_id|><|start_header_id|>ipython"
             "<|end_header_id|>\n\n58<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nThe answer is $58$.")
    qwen = ("Let me compute.\n<tool_call>\n{\"name\": \"python\", \"arguments\": {\"code\": \"print(3*4)\"}}\n</tool_call>"
            "<|im_end|>\n<|im_start|>user\n<tool_response>\n12\n</tool_response><|im_end|>\n<|im_start|>assistant\n"
            "So the answer is $\\boxed{12}$.<|im_end|>")
    assert disagreements([
        ("\\frac{2}{1005}", _ran("'2/1005'"), True),
        ("x^3+3x-6", _ran("'x**3 + 3*x - 6'"), True),
        ("(-2,1)", _ran("array([-2, 1])"), True),
        ("11 \\sqrt{5} + 11", _ran("x = 11 + 11*sqrt(5)"), True),
        ("-2,1", _ran("answer = [-2, 1]"), True),
        ("-2,1", _ran("[{x: -2}, {x: 1}]"), True),
        ("4.4e7", _ran("4.409e+07 (in the units asked)"), True),
        ("\\pi", "Let's code.\n```python\nprint(answer)\n```\n[EXECUTION RESULT]\npi\n[/EXECUTION RESULT]", True),
        ("\\frac{448}{15625}", "Code.\n```python\nIn [1]: from sympy import *\n\nIn [4]: answer\nOut[4]: 448/15625\n```", True),
        ("540", "Code.\n```python\n>>> answer = 540\n>>> print(answer)\n540\n```", True),
        ("58", llama, True),
        ("12", qwen, True),
        ("4000", "We run it and get 4000.\n\nThe answer is `4000`.", True),
        ("x^5 - x^4 + x^3 - x^2 + x - 1", "So:\n\nThe answer is `x**5 - x**4 + x**3 - x**2 + x - 1`.", True),
        ("3 n", "Code.\n```python\nprint(answer)\n```\n[EXECUTION RESULT]: 3*n", True),
        ("4.4e7", "So we get 4.409e+07 ferrets.", True),
        # a program alone, fenced or not, states nothing; a user's turn after the answer is still cut
        ("8", "def solution():\n    \"\"\"Melanie found a blueprint\"\"\"\n    result = 8\n    return result", False),
        ("8", "import math\nresult = 8\nprint(result)", False),
        ("3", "```python\n>>> x = 3\n```", False),
        ("6", "The answer is 5.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnd 6? The answer is 6.", False),
    ]) == []


def test_programs_module_finds_the_closing_block_and_the_printed_line():
    from evalkit.grading.programs import closing_code_block, is_unfenced_program, printed_line, transcript_output

    assert closing_code_block("Text.\n```python\nprint(1)\n```").kind == "program"
    assert closing_code_block("```python\nprint(1)\n```\n```\n1\n```").kind == "output"  # unlabelled, after a program
    assert closing_code_block("Text.\n```latex\n\\frac12\n```") is None
    assert closing_code_block("The value is 5.") is None
    assert closing_code_block("x\n<output>\n7\n</output>").content.strip() == "7"
    assert transcript_output("In [2]: x\nOut[2]: 42") == "42"
    assert transcript_output(">>> print(x)\n42\n>>> y = 1") is None  # the last command printed nothing
    assert transcript_output("x = 1\nprint(x)") is None
    assert printed_line("Warning: slow\n'2/1005'\n").text == "2/1005"
    assert printed_line("np.float64(0.25)").text == "0.25"
    assert printed_line("{'x': 3, 'y': 4}") == printed_line("[{x: 3, y: 4}]")
    assert printed_line("{'x': 3, 'y': 4}").named
    assert printed_line("x == 3").text == "x == 3"  # a comparison is not an assignment
    assert printed_line("\n  \n") is None
    assert is_unfenced_program("def solution():\n    return 3")
    assert not is_unfenced_program("def solution(): the answer is 3.\nSo 3.")  # prose that starts like code
    assert not is_unfenced_program("import math")  # one line


def test_a_whole_chat_transcript_is_read_from_its_reply_and_code_spans_suppose_nothing():
    chatml = ("<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nFind x.<|im_end|>\n"
              "<|im_start|>assistant\nSo $\\boxed{63}$.<|im_end|>")
    llama = ("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nToday Date: 26 Jul 2024<|eot_id|>"
             "<|start_header_id|>user<|end_header_id|>\n\nSolve it.<|eot_id|><|start_header_id|>assistant"
             "<|end_header_id|>\n\nThe answer is 17.<|eot_id|>")
    few_shot = ("<|im_start|>user\nQ1?<|im_end|>\n<|im_start|>assistant\nThe answer is 3.<|im_end|>\n"
                "<|im_start|>user\nQ2?<|im_end|>\n<|im_start|>assistant\nThe answer is 9.<|im_end|>")
    assert find_answer(chatml).answer == "63"
    assert find_answer(llama).answer == "17"
    assert find_answer(few_shot).answer == "9"
    assert find_answer("<|im_start|>user\nQ?<|im_end|>\n").answer is None
    assert find_answer("We test each with `len([n for n in range(1, 1001) if ok(n)])`, so the answer is $16$.").answer == "16"
