"""The quiz checker's exact messages (which question, what is wrong) and how a quiz is shown.
Found by mutation testing (benchmarks/results/mutation-*.txt): each message is compared whole,
so one that loses the question's number or its fix fails here."""

from __future__ import annotations

import io
import json
import sys
import types

import pytest

from utils import quiz


def choice(kind="multiple_choice", **changes):
    question = {
        "type": kind,
        "question": "Which gate forgets?",
        "answers": [
            {"answer": "forget", "correct": True, "feedback": "Yes: f scales c."},
            {"answer": "output", "correct": False, "feedback": "No: o reads c."},
        ],
    }
    return question | changes


def numeric(answers):
    return {"type": "numeric", "question": "How many gates?", "answers": answers}


VALUE = {"type": "value", "value": 4, "correct": True, "feedback": "Right."}
DEFAULT = {"type": "default", "feedback": "Count i, f, g, o."}


@pytest.mark.parametrize(
    ("questions", "expected"),
    [
        ([], "quiz: expected a non-empty JSON list of questions"),
        ([choice(), "text"], "quiz, question 2: expected an object with type, question and answers"),
        ([choice(kind="essay")], "quiz, question 1: type must be one of multiple_choice, many_choice, numeric, "
                                 "got 'essay'"),
        ([choice(question=" ")], "quiz, question 1: the question text is missing"),
        ([choice(answers=[choice()["answers"][0]])],
         "quiz, question 1: give at least two answers (a numeric question: the value and a default)"),
        ([choice(answers=[{"answer": 1}, {"answer": "b"}])], "quiz, question 1: every answer needs its text under 'answer'"),
        ([choice(answers=[{"correct": True}, {"answer": "b"}])],
         "quiz, question 1: every answer needs its text under 'answer'"),
        ([choice(answers=[{"answer": "a", "correct": True}, {"answer": "b", "correct": False, "feedback": "x"}])],
         "quiz, question 1: answer 'a' needs feedback that explains it"),
        ([choice(kind="many_choice", answers=[{"answer": "a", "correct": False, "feedback": "x"},
                                              {"answer": "b", "correct": False, "feedback": "y"}])],
         "quiz, question 1: a many_choice question needs at least one correct answer"),
        ([numeric([VALUE, {"type": "guess", "feedback": "x"}])],
         "quiz, question 1: every numeric answer needs a type among value, range, default"),
        ([numeric([VALUE, "x"])], "quiz, question 1: every numeric answer needs a type among value, range, default"),
        ([numeric([VALUE | {"correct": False}, DEFAULT])],
         "quiz, question 1: a numeric question needs exactly one answer (a 'value' or a 'range') with "
         "'correct': true"),
        ([numeric([DEFAULT, VALUE])],
         "quiz, question 1: end a numeric question's answers with a 'default' answer for everything else"),
    ],
)
def test_each_problem_has_its_own_message(questions, expected):
    with pytest.raises(ValueError) as caught:
        quiz.check_quiz(questions)
    assert str(caught.value) == expected


def test_a_many_choice_question_may_have_one_or_several_correct_answers():
    one = choice(kind="many_choice")
    quiz.check_quiz([one])
    both = choice(kind="many_choice", answers=[a | {"correct": True} for a in one["answers"]])
    quiz.check_quiz([both])


@pytest.mark.parametrize("bad", [[3, 3], [4, 3], [0, float("inf")], [True, 5], [1], "1-5"])
def test_a_range_needs_two_finite_numbers_low_below_high(bad):
    answer = {"type": "range", "range": bad, "correct": True, "feedback": "x"}
    with pytest.raises(ValueError, match=r"needs 'range': \[low, high\] with low < high"):
        quiz.check_quiz([numeric([answer, DEFAULT])])
    quiz.check_quiz([numeric([answer | {"range": [3, 5]}, DEFAULT])])


@pytest.mark.parametrize("bad", [float("nan"), True, "4", None])
def test_a_value_must_be_a_finite_number(bad):
    with pytest.raises(ValueError, match="needs a number under 'value'"):
        quiz.check_quiz([numeric([VALUE | {"value": bad}, DEFAULT])])


def test_load_names_the_file_and_reads_utf8(tmp_path, monkeypatch):
    (tmp_path / "01_x.json").write_text(json.dumps([choice(question="Which gate — forget?")], ensure_ascii=False),
                                         encoding="utf-8")
    # a machine whose default text encoding is not UTF-8: the quiz must still read as UTF-8
    monkeypatch.setattr(io, "text_encoding", lambda encoding, stacklevel=2: encoding or "latin-1")
    assert quiz.load_quiz("01_x", tmp_path)[0]["question"] == "Which gate — forget?"
    (tmp_path / "02_y.json").write_text(json.dumps([choice(kind="essay")]), encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        quiz.load_quiz("02_y", str(tmp_path))
    assert str(caught.value).startswith(f"{tmp_path / '02_y.json'}, question 1: type must be")
    with pytest.raises(ValueError) as caught:
        quiz.quiz_path("03_z", tmp_path)
    assert "the chapters with a quiz are: 01_x, 02_y" in str(caught.value)


def test_show_quiz_keeps_the_order_and_forgets_answers_between_runs(tmp_path, monkeypatch):
    (tmp_path / "01_x.json").write_text(json.dumps([choice() | {"id": "gate"}]), encoding="utf-8")
    calls = []
    fake = types.ModuleType("jupyterquiz")
    fake.display_quiz = lambda questions, **kwargs: calls.append((questions, kwargs))
    dynamic = types.ModuleType("jupyterquiz.dynamic")
    dynamic.display = types.SimpleNamespace(random=None)
    monkeypatch.setitem(sys.modules, "jupyterquiz", fake)
    monkeypatch.setitem(sys.modules, "jupyterquiz.dynamic", dynamic)
    monkeypatch.setattr(quiz, "_times_shown", quiz.collections.Counter())
    quiz.show_quiz("01_x", tmp_path)
    quiz.show_quiz("01_x", tmp_path)
    (questions, kwargs), _ = calls
    assert "id" not in questions[0] and questions[0]["question"] == "Which gate forgets?"
    assert kwargs == {"shuffle_answers": False, "preserve_responses": False, "max_width": 700}
    assert quiz._times_shown["01_x"] == 2


def test_numeric_answers_need_feedback_and_a_default_may_be_marked_correct():
    no_feedback = {"type": "value", "value": 4, "correct": True}
    with pytest.raises(ValueError) as caught:
        quiz.check_quiz([numeric([no_feedback, DEFAULT])])
    assert str(caught.value) == f"quiz, question 1: numeric answer {no_feedback} needs feedback"
    quiz.check_quiz([numeric([VALUE, DEFAULT | {"correct": True}])])  # only value/range answers are counted
