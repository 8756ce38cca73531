"""Prompt formats: pure functions from a `Problem` to a backend `Prompt`, with their stop strings.

- `zero_shot_cot`: plain text asking for step-by-step reasoning and a `\\boxed{}` answer.
- `minerva`: four worked MATH-style examples ("Problem: ... Solution: ... Final Answer: The
  final answer is X. I hope it is correct."), the format of the Minerva paper, for base models.
- `gsm8k_cot`: eight worked word problems ("Q: ... A: ... The answer is X."), for base models.
- `chat`: system and user messages for instruct models; the backend applies the chat template.
- `chat_cot`: the Qwen2.5-Math-Instruct model card's chat prompt: the system message "Please
  reason step by step, and put your final answer within \\boxed{}." and the question as the
  user message.
- `reasoning`: the prompt of reasoning-model cards (DeepSeek-R1, Qwen3): no system message, the
  question followed by that instruction in one user message. The model thinks in
  `<think>...</think>` first; grading reads the answer after the final `</think>`.

The exemplars are written for evalkit (not taken from any benchmark), so they cannot leak
test problems. Each format carries the stop strings that end a completion before the model
starts inventing the next example.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from evalkit.backends.base import Prompt
from evalkit.errors import ConfigError
from evalkit.records import Problem


@dataclass(frozen=True)
class Exemplar:
    """One worked example of a few-shot prompt: a question, its reasoning and its final answer."""

    question: str
    reasoning: str
    answer: str


@dataclass(frozen=True)
class PromptFormat:
    """A named way to turn a problem into a prompt, with the stop strings that suit it."""

    name: str
    description: str
    render: Callable[[Problem], Prompt]
    stop: tuple[str, ...] = ()
    exemplars: tuple[Exemplar, ...] = ()

    def __call__(self, problem: Problem) -> Prompt:
        return self.render(problem)


BOXED_INSTRUCTION = "Reason step by step, and write the final answer inside \\boxed{}."
MODEL_CARD_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."
"""The instruction that math model cards use verbatim (Qwen2.5-Math, DeepSeek-R1, Qwen3)."""

MINERVA_EXEMPLARS = (
    Exemplar(
        question="Find all values of $x$ such that $5x - 9 = 2x + 12$.",
        reasoning="Subtracting $2x$ from both sides gives $3x - 9 = 12$. Adding $9$ gives $3x = 21$, "
                  "so $x = 7$.",
        answer="7",
    ),
    Exemplar(
        question="How many positive divisors does $72$ have?",
        reasoning="The prime factorization is $72 = 2^3 \\cdot 3^2$. A divisor picks an exponent of $2$ from "
                  "$0$ to $3$ and an exponent of $3$ from $0$ to $2$, so there are $(3+1)(2+1) = 12$ divisors.",
        answer="12",
    ),
    Exemplar(
        question="Let $g(t) = \\dfrac{3t - 1}{t + 2}$. Compute $g(4)$.",
        reasoning="Substituting $t = 4$ gives $g(4) = \\dfrac{3 \\cdot 4 - 1}{4 + 2} = \\dfrac{11}{6}$.",
        answer="\\frac{11}{6}",
    ),
    Exemplar(
        question="The legs of a right triangle have lengths $4$ and $6$. How long is the hypotenuse? "
                 "Express your answer in simplest radical form.",
        reasoning="By the Pythagorean theorem the hypotenuse is $\\sqrt{4^2 + 6^2} = \\sqrt{52}$. Since "
                  "$52 = 4 \\cdot 13$, this is $2\\sqrt{13}$.",
        answer="2\\sqrt{13}",
    ),
)

GSM8K_EXEMPLARS = (
    Exemplar(
        question="Nadia picked 14 plums. She gave 6 to her neighbour and then picked 9 more. "
                 "How many plums does she have now?",
        reasoning="After giving some away she had 14 - 6 = 8 plums. Picking 9 more gives 8 + 9 = 17.",
        answer="17",
    ),
    Exemplar(
        question="A ferry carries 45 cars on each crossing and makes 8 crossings a day. "
                 "How many cars does it carry in 3 days?",
        reasoning="Each day it carries 45 * 8 = 360 cars. In 3 days that is 360 * 3 = 1080 cars.",
        answer="1080",
    ),
    Exemplar(
        question="Owen is paid $16 an hour and works 7 hours a day for 5 days. He then spends $245 on a bike. "
                 "How much money does he have left?",
        reasoning="He earns 16 * 7 = 112 dollars a day, so 112 * 5 = 560 dollars in 5 days. "
                  "After the bike he has 560 - 245 = 315 dollars.",
        answer="315",
    ),
    Exemplar(
        question="A rack holds 6 rows of 20 jars. A shop assistant takes away a quarter of the jars. "
                 "How many jars are still on the rack?",
        reasoning="The rack holds 6 * 20 = 120 jars. A quarter is 120 / 4 = 30 jars, so 120 - 30 = 90 remain.",
        answer="90",
    ),
    Exemplar(
        question="A baker uses 4 cups of flour for each loaf. She has a 50-cup sack and bakes 11 loaves. "
                 "How many cups of flour are left?",
        reasoning="The loaves use 4 * 11 = 44 cups. She has 50 - 44 = 6 cups left.",
        answer="6",
    ),
    Exemplar(
        question="At 6 a.m. the temperature was -5 degrees. It rose by 2 degrees every hour until noon. "
                 "What was the temperature at noon?",
        reasoning="From 6 a.m. to noon is 6 hours, so it rose 2 * 6 = 12 degrees. At noon it was -5 + 12 = 7 degrees.",
        answer="7",
    ),
    Exemplar(
        question="A library lent out 1,350 books in March and twice as many in April. "
                 "How many books did it lend in the two months together?",
        reasoning="In April it lent 1350 * 2 = 2700 books. Together that is 1350 + 2700 = 4050 books.",
        answer="4050",
    ),
    Exemplar(
        question="Priya cycles 3.5 kilometres to school and the same distance back, 5 days a week. "
                 "How many kilometres does she cycle in 4 weeks?",
        reasoning="Each day she cycles 3.5 * 2 = 7 km. A week is 7 * 5 = 35 km, and 4 weeks are 35 * 4 = 140 km.",
        answer="140",
    ),
)


def minerva_block(question: str) -> str:
    """One problem in the Minerva layout, up to the point where the solution starts."""
    return f"Problem:\n{question}\n\nSolution:"


def minerva_final_line(answer: str) -> str:
    """The closing line of a Minerva-style solution."""
    return f"Final Answer: The final answer is ${answer}$. I hope it is correct."


def gsm8k_final_sentence(answer: str) -> str:
    """The closing sentence of a GSM8K chain-of-thought answer."""
    return f"The answer is {answer}."


MINERVA_PREFIX = "".join(
    f"{minerva_block(example.question)}\n{example.reasoning}\n{minerva_final_line(example.answer)}\n\n"
    for example in MINERVA_EXEMPLARS
)

GSM8K_PREFIX = "".join(
    f"Q: {example.question}\nA: {example.reasoning} {gsm8k_final_sentence(example.answer)}\n\n"
    for example in GSM8K_EXEMPLARS
)


def zero_shot_cot(problem: Problem) -> Prompt:
    """A plain-text zero-shot prompt asking for step-by-step reasoning and a boxed answer."""
    return f"Solve the following math problem. {BOXED_INSTRUCTION}\n\nProblem:\n{problem.question}\n\nSolution:"


def minerva(problem: Problem) -> Prompt:
    """The Minerva 4-shot prompt followed by the problem."""
    return MINERVA_PREFIX + minerva_block(problem.question)


def gsm8k_cot(problem: Problem) -> Prompt:
    """The 8-shot chain-of-thought prompt followed by the question."""
    return f"{GSM8K_PREFIX}Q: {problem.question}\nA:"


def chat(problem: Problem) -> Prompt:
    """Chat messages for instruct models: a system role and the problem with the boxed-answer instruction."""
    return [
        {"role": "system", "content": "You are a careful mathematician who explains each step of a solution."},
        {"role": "user", "content": f"{problem.question}\n\n{BOXED_INSTRUCTION}"},
    ]


def chat_cot(problem: Problem) -> Prompt:
    """Qwen2.5-Math-Instruct's chat prompt: the model-card instruction as system message, the question as user message."""
    return [
        {"role": "system", "content": MODEL_CARD_INSTRUCTION},
        {"role": "user", "content": problem.question},
    ]


def reasoning(problem: Problem) -> Prompt:
    """The reasoning-model prompt (DeepSeek-R1, Qwen3 model cards): one user message, no system message."""
    return [{"role": "user", "content": f"{problem.question}\n{MODEL_CARD_INSTRUCTION}"}]


PROMPT_FORMATS: Mapping[str, PromptFormat] = MappingProxyType({
    fmt.name: fmt
    for fmt in (
        PromptFormat("zero_shot_cot", "zero-shot, step by step, answer in \\boxed{}", zero_shot_cot,
                     stop=("\n\nProblem:",)),
        PromptFormat("minerva", "Minerva 4-shot MATH prompt (Final Answer: The final answer is X.)", minerva,
                     stop=("\n\nProblem:", "\n\n\n"), exemplars=MINERVA_EXEMPLARS),
        PromptFormat("gsm8k_cot", "8-shot chain of thought (The answer is X.)", gsm8k_cot,
                     stop=("\n\nQ:", "\n\n\n"), exemplars=GSM8K_EXEMPLARS),
        PromptFormat("chat", "chat messages for instruct models, answer in \\boxed{}", chat),
        PromptFormat("chat_cot", "Qwen2.5-Math-Instruct chat: system 'Please reason step by step, and put your "
                     "final answer within \\boxed{}.', user = the question", chat_cot),
        PromptFormat("reasoning", "reasoning models (DeepSeek-R1, Qwen3): user = the question + 'Please reason "
                     "step by step, and put your final answer within \\boxed{}.', no system message", reasoning),
    )
})


def list_prompt_formats() -> list[str]:
    """The names of all prompt formats."""
    return sorted(PROMPT_FORMATS)


def get_prompt_format(name: str) -> PromptFormat:
    """The prompt format called `name`, or a `ConfigError` listing the known names."""
    try:
        return PROMPT_FORMATS[name]
    except KeyError:
        raise ConfigError(f"unknown prompt format {name!r}; known formats: {', '.join(list_prompt_formats())}") from None
