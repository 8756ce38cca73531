"""Formats found by grading real third-party dumps (session 15, 2026-12-04): zero-shot-CoT logs, whose answer
phrase carries a parenthetical and whose answers are often spelled in words; small models that run on into a
user's turn they invent; a unit named without a number in the question. The cases are written here in those
formats; each is (reference, response, expected verdict), and the near misses beside each rule stay wrong."""

from __future__ import annotations

from grading_cases import disagreements, disagreements_in_questions


def test_an_answer_phrase_with_a_parenthetical_is_a_marker():
    assert disagreements([
        ("7", "She had 4 boxes of 2 pens and lost 1.\nTherefore, the answer (arabic numerals) is 7. \n\n"
              "7 pens remain, and 3 boxes are left in the cupboard.", True),
        ("3", "She had 4 boxes of 2 pens and lost 1.\nTherefore, the answer (arabic numerals) is 7. \n\n"
              "7 pens remain, and 3 boxes are left in the cupboard.", False),
        ("12", "The answer (in dollars) is $12.", True),
        # a base model that runs on into the next example after the answer
        ("80", "Therefore, the answer (arabic numerals) is 80. \n\n\nQ: A class has 30 students with 10 pencils each", True),
    ]) == []


def test_a_number_spelled_in_words_with_its_unit():
    assert disagreements([
        ("296", "Therefore, the answer (arabic numerals) is two hundred ninety six dollars.", True),
        ("52", "The sun is 82 degrees up at noon. \nTherefore, the answer (arabic numerals) is fifty-two.", True),
        ("82", "The sun is 82 degrees up at noon. \nTherefore, the answer (arabic numerals) is fifty-two.", False),
        ("100", "Therefore, the answer is: \n\nOne hundred dollars.", True),
        ("0", "The answer is zero apples.", True),
        ("5", "Answer: five hours", True),
        ("1", "The answer is one of the two below: 3.", False),  # `one of` opens prose
    ]) == []
    # the `three` of `three-digit` is not a number in words
    assert disagreements_in_questions([
        ("How many positive multiples of 13 are three-digit integers?", "69",
         "Therefore, there are $69$ positive multiples of 13 that are three-digit integers.", True),
    ]) == []
    # nor when the compound is the whole answer: a reference of 3 is not given by it
    assert disagreements([("3", "The answer is \\boxed{three-digit integers}.", False),
                          ("3", "The answer is \\boxed{three}.", True)]) == []


def test_a_marker_on_its_own_line_over_a_computation_reads_its_result():
    assert disagreements([
        ("694", "Therefore, the answer (arabic numerals) is \n\n3 x 68 = 204\n2 x 80 = 160\n6 x 55 = 330\n\n"
                "The total cost was $694.", True),
        ("204", "Therefore, the answer (arabic numerals) is \n\n3 x 68 = 204\n2 x 80 = 160\n6 x 55 = 330\n\n"
                "The total cost was $694.", False),
        ("9", "Therefore, the answer is: \n\n3 + 2x = 21 \n2x = 18 \nx = 9 \n\nThis means that Sally has 9 books.", True),
        ("2304", "Therefore, the answer is \n\n$192 x 12 = \n\n$2,304", True),
        ("1375", "Therefore, the answer is: \n\n1) $250 on newspaper ads \n2) $1125 on television ads \n"
                 "3) $1375 on all ads", True),
        # a value on the marker's own line, or alone on the next, is the answer as before
        ("5", "The answer is:\n\nx = 5\n\nThis satisfies 2x = 10.", True),
        ("18", "The answer is 18. \n\n9 x 2 = 18\nShe sells 9 eggs at $2.", True),
    ]) == []


def test_a_user_turn_the_model_invents_after_its_answer_is_cut():
    assert disagreements([
        ("6", "The number of girl puppies is 1/3 * 18 = 6.\nSo, she has 6 girl puppies.\n\nUser: Is this how you "
              "would simplify sqrt(b^6 / (3a^2))?\nAssistant: We can write it as b^3 / (a sqrt 3).", True),
        ("0.35625", "Divide 57 by 160. </think> <answer> $0.35625$\nUser: Is the answer $\\boxed{0.5}$?\n"
                    "Assistant: <think> yes </think> <answer> Yes, it is. </answer>", True),
        ("0.5", "Divide 57 by 160. </think> <answer> $0.35625$\nUser: Is the answer $\\boxed{0.5}$?\n"
                 "Assistant: <think> yes </think> <answer> Yes, it is. </answer>", False),
        # a `User:` line inside the thinking is not a turn: the answer after the thinking counts
        ("4", "<think>The prompt said\nUser: add 2 and 2\nso 2 + 2 = 4.</think> The answer is $\\boxed{4}$.", True),
    ]) == []


def test_units_named_without_a_number_in_the_question_count_as_named():
    question = ("Jay builds 20 snowballs in an hour, but 2 melt every 15 minutes. "
                "How long will it take before he has 60 snowballs?")
    walk = "It takes Tom 18 minutes to walk to school. How long does it take him to walk there and back?"
    assert disagreements_in_questions([
        (question, "5", "The answer (arabic numerals) is 5 hours.", True),  # hours and minutes both named: no conversion
        (question, "5", "The answer is 300 minutes.", False),
        (walk, "36", "The answer is 0.6 hours.", True),  # minutes the only unit of time named: converted
        (walk, "36", "The answer is 36 minutes.", True),
    ]) == []


def test_a_closing_sentence_of_plain_amounts_answers_with_one_the_question_did_not_give():
    traffic = ("A line of 30 cars waits at a jam. In the first 15 minutes some drive through, then 20 more cars "
               "arrive. How many cars drove through the traffic jam in the first 15 minutes?")
    race = ("Of 40 people, 20% think horse #2 will win, 60% of the rest think horse #7 will win, and the rest think "
            "horse #12 will win. How many people think that horse #12 will win?")
    primes = "Nine different two-digit numbers can be formed with the digits 1, 3 and 7. How many of these numbers are prime?"
    assert disagreements_in_questions([
        (traffic, "5", "```output\n5\n```\n5 cars drove through the traffic jam in the first 15 minutes.", True),
        (traffic, "15", "```output\n5\n```\n5 cars drove through the traffic jam in the first 15 minutes.", False),
        (race, "16", "```output\n16.0\n```\n16 people think that horse #12 will win the big race.", True),
        # the kind of number asked decides first: `7 of these 9 numbers are prime`, though 7 is one of the digits given
        (primes, "7", "Of these, only 33 and 77 are composite. Thus $7$ of these 9 numbers are prime.", True),
        # where math names something, a number of the question may well be the answer
        ("Solve $x^2 - 4x + 4 = 0$ for $x$, given that 2 is a root of multiplicity 2.", "2",
         "The root is $x = 2$, a double root of $x^2 - 4x + 4$.", True),
    ]) == []


def test_a_response_that_only_hesitates_abstains_and_a_nul_at_the_end_is_not_part_of_the_answer():
    from evalkit.grading import grade

    verdicts = grade(["Hmm.", "OK.", "Done.", "Hmmm...", "Yes.", "Ответ: 371\x00", "The answer is 5\x00"],
                     ["371", "371", "371", "371", "\\text{yes}", "371", "5"], workers=1)
    assert [verdict.reason for verdict in verdicts[:4]] == ["no_answer"] * 4
    assert verdicts[4].correct  # a yes-or-no question's answer is not a hesitation
    assert verdicts[5].correct and verdicts[5].answer == "371" and verdicts[6].correct
