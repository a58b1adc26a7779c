"""Self-check quizzes at the end of every chapter, shown with jupyterquiz (all chapters).

    from utils.quiz import show_quiz
    show_quiz("07_nn_lstm_api")

The questions live in ``quizzes/<chapter>.json`` at the top of the repository, one file per
chapter, in jupyterquiz's format: a list of questions, each ``{"type": "multiple_choice" |
"many_choice" | "numeric", "question": ..., "answers": [...]}``. A question may also carry an
``"id"``, which the tests use to recompute its answer with PyTorch; it is not shown.

The quiz is rendered from a Python list, so its HTML, CSS and JavaScript are all in the cell's
output: nothing is fetched, and the same output works in Jupyter, in Colab and on the static
site. Its element ids are derived from the chapter's name, so a fresh run of a notebook stores
the same output every time.
"""

from __future__ import annotations

import collections
import json
import math
import random
from pathlib import Path
from typing import Any
from unittest import mock

QUIZ_DIR = Path(__file__).resolve().parents[1] / "quizzes"
QUESTION_TYPES = ("multiple_choice", "many_choice", "numeric")
NUMERIC_ANSWER_TYPES = ("value", "range", "default")
SHOWN_KEYS = ("type", "question", "code", "answers", "precision", "answer_cols")

_times_shown: collections.Counter[str] = collections.Counter()


def chapters(quiz_dir: Path = QUIZ_DIR) -> list[str]:
    """The chapters that have a quiz: the names of the ``*.json`` files in ``quiz_dir``."""
    return sorted(path.stem for path in Path(quiz_dir).glob("*.json"))


def quiz_path(chapter: str, quiz_dir: Path = QUIZ_DIR) -> Path:
    """The file of ``chapter``'s quiz; raises naming the valid chapters if there is none."""
    quiz_dir = Path(quiz_dir)
    if not quiz_dir.is_dir():
        raise FileNotFoundError(
            f"no quizzes folder at {quiz_dir}: the quizzes are read from a clone of the course "
            "repository (run the chapter from the repository, or install it with `pip install -e .`)"
        )
    valid = chapters(quiz_dir)
    if chapter not in valid:
        raise ValueError(f"no quiz for chapter {chapter!r}; the chapters with a quiz are: {', '.join(valid)}")
    return quiz_dir / f"{chapter}.json"


def load_quiz(chapter: str, quiz_dir: Path = QUIZ_DIR) -> list[dict[str, Any]]:
    """The questions of ``chapter``'s quiz, checked (see :func:`check_quiz`)."""
    path = quiz_path(chapter, quiz_dir)
    try:
        questions = json.loads(path.read_text(encoding="utf-8-sig"))  # an editor may add a BOM
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not valid UTF-8 JSON: {error}") from error
    check_quiz(questions, str(path))
    return questions


def check_quiz(questions: object, where: str = "quiz") -> None:
    """Raise ``ValueError`` naming the first question that jupyterquiz could not show as meant."""
    if not isinstance(questions, list) or not questions:
        raise ValueError(f"{where}: expected a non-empty JSON list of questions")
    for number, question in enumerate(questions, start=1):
        problem = _question_problem(question)
        if problem:
            raise ValueError(f"{where}, question {number}: {problem}")


def _question_problem(question: object) -> str | None:
    """What is wrong with one question, or None."""
    if not isinstance(question, dict):
        return "expected an object with type, question and answers"
    if question.get("type") not in QUESTION_TYPES:
        return f"type must be one of {', '.join(QUESTION_TYPES)}, got {question.get('type')!r}"
    if not isinstance(question.get("question"), str) or not question["question"].strip():
        return "the question text is missing"
    answers = question.get("answers")
    if not isinstance(answers, list) or len(answers) < 2:
        return "give at least two answers (a numeric question: the value and a default)"
    if question["type"] == "numeric":
        return _numeric_problem(answers)
    return _choice_problem(question["type"], answers)


def _choice_problem(kind: str, answers: list[Any]) -> str | None:
    """Every answer has text, a boolean ``correct`` and feedback; the number correct fits ``kind``."""
    for answer in answers:
        if not isinstance(answer, dict) or not isinstance(answer.get("answer"), str):
            return "every answer needs its text under 'answer'"
        if not isinstance(answer.get("correct"), bool):
            return f"answer {answer['answer']!r} needs 'correct': true or false"
        if not str(answer.get("feedback", "")).strip():
            return f"answer {answer['answer']!r} needs feedback that explains it"
    correct = sum(answer["correct"] for answer in answers)
    if kind == "multiple_choice" and correct != 1:
        return f"a multiple_choice question has exactly one correct answer, this one has {correct}"
    if kind == "many_choice" and correct < 1:
        return "a many_choice question needs at least one correct answer"
    return None


def _numeric_problem(answers: list[Any]) -> str | None:
    """A correct value, feedback everywhere, and a default answer for anything else."""
    for answer in answers:
        if not isinstance(answer, dict) or answer.get("type") not in NUMERIC_ANSWER_TYPES:
            return f"every numeric answer needs a type among {', '.join(NUMERIC_ANSWER_TYPES)}"
        if not str(answer.get("feedback", "")).strip():
            return f"numeric answer {answer} needs feedback"
        value = answer.get("value")
        if answer["type"] == "value" and (
            isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
        ):
            return f"numeric answer {answer} needs a number under 'value'"
        if answer["type"] == "range" and not _is_range(answer.get("range")):
            return f"numeric answer {answer} needs 'range': [low, high] with low < high"
    if sum(a["type"] != "default" and a.get("correct") is True for a in answers) != 1:
        return "a numeric question needs exactly one answer (a 'value' or a 'range') with 'correct': true"
    if answers[-1]["type"] != "default":
        return "end a numeric question's answers with a 'default' answer for everything else"
    return None


def _is_range(bounds: object) -> bool:
    return (
        isinstance(bounds, list)
        and len(bounds) == 2
        and all(isinstance(b, int | float) and not isinstance(b, bool) and math.isfinite(b) for b in bounds)
        and bounds[0] < bounds[1]
    )


def show_quiz(chapter: str, quiz_dir: Path = QUIZ_DIR) -> None:
    """Display ``chapter``'s quiz in the notebook: click an answer, see why it is right or wrong.

    Raises ``ValueError`` for a chapter without a quiz, naming the chapters that have one.
    """
    from jupyterquiz import display_quiz  # type: ignore[import-untyped]
    from jupyterquiz.dynamic import display as quiz_display  # type: ignore[import-untyped]

    questions = [{k: v for k, v in q.items() if k in SHOWN_KEYS} for q in load_quiz(chapter, quiz_dir)]
    _times_shown[chapter] += 1
    ids = random.Random(f"{chapter}:{_times_shown[chapter]}")  # the same ids on every fresh run
    with mock.patch.object(quiz_display, "random", ids):
        display_quiz(questions, shuffle_answers=False, preserve_responses=False, max_width=700)
