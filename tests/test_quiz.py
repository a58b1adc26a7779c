"""The chapter quizzes (quizzes/*.json, utils/quiz.py): well-formed, answers recomputed, offline output."""

import json
import math
import re
import shutil
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from utils import quiz
from utils.scalar_lstm import ScalarLSTMParams, step, to_torch_lstm_weights
from utils.text import Vocab

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
ALLOWED_TAGS = {"code", "em", "sub", "sup", "b"}


def _questions() -> dict[str, dict]:
    return {q["id"]: q for chapter in CHAPTERS for q in quiz.load_quiz(chapter)}


QUESTIONS = _questions()


def _correct(qid: str) -> str:
    """The text of the one correct answer of a multiple-choice question."""
    (answer,) = [a["answer"] for a in QUESTIONS[qid]["answers"] if a["correct"]]
    return answer


def _accepts(qid: str, number: float) -> bool:
    """Whether the numeric question's correct answer is ``number`` (a value, or a range holding it)."""
    (answer,) = [a for a in QUESTIONS[qid]["answers"] if a.get("correct") is True]
    if answer["type"] == "value":
        return math.isclose(answer["value"], number, rel_tol=1e-9)
    low, high = answer["range"]
    return low <= number < high


def _n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# ---------------------------------------------------------------- every chapter, well formed

def test_every_chapter_has_a_quiz():
    assert quiz.chapters() == CHAPTERS


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_quiz_is_well_formed(chapter):
    questions = quiz.load_quiz(chapter)
    assert 3 <= len(questions) <= 5, f"{chapter}: a few questions, 3 to 5, not {len(questions)}"
    for q in questions:
        assert q["id"] and set(q) <= {"id", *quiz.SHOWN_KEYS}, f"{chapter}: unknown keys in {q}"
        texts = [q["question"], q.get("code", "")] + [a.get("answer", "") + a["feedback"] for a in q["answers"]]
        for text in texts:
            # jupyterquiz turns $...$ into math and [text](url) into links; <...> is HTML
            assert "$" not in text and "](" not in text, f"{q['id']}: {text!r}"
            tags = set(re.findall(r"</?([a-zA-Z]+)", text))
            assert tags <= ALLOWED_TAGS, f"{q['id']}: write < as &lt; outside {ALLOWED_TAGS}: {text!r}"
        feedback = [a["feedback"] for a in q["answers"]]
        assert len(set(feedback)) == len(feedback), f"{q['id']}: every answer needs its own feedback"


def test_question_ids_are_unique_and_correct_answers_move():
    ids = [q["id"] for chapter in CHAPTERS for q in quiz.load_quiz(chapter)]
    assert len(ids) == len(set(ids))
    positions = {next(i for i, a in enumerate(q["answers"]) if a["correct"])
                 for q in QUESTIONS.values() if q["type"] == "multiple_choice"}
    assert len(positions) >= 3, "the correct answer should not always sit in the same place"


@pytest.mark.parametrize("broken, message", [
    ([], "non-empty JSON list"),
    ([{"type": "essay", "question": "Why?", "answers": []}], "type must be one of"),
    ([{"type": "multiple_choice", "question": "", "answers": []}], "question text is missing"),
    ([{"type": "multiple_choice", "question": "Q", "answers": [
        {"answer": "a", "correct": True, "feedback": "yes"}, {"answer": "b", "correct": True, "feedback": "no"}]}],
     "exactly one correct answer, this one has 2"),
    ([{"type": "many_choice", "question": "Q", "answers": [
        {"answer": "a", "correct": False, "feedback": "x"}, {"answer": "b", "correct": False, "feedback": "y"}]}],
     "at least one correct"),
    ([{"type": "multiple_choice", "question": "Q", "answers": [
        {"answer": "a", "correct": True, "feedback": "yes"}, {"answer": "b", "correct": False}]}],
     "'b' needs feedback"),
    ([{"type": "multiple_choice", "question": "Q", "answers": [
        {"answer": "a", "correct": "yes", "feedback": "f"}, {"answer": "b", "correct": False, "feedback": "g"}]}],
     "needs 'correct': true or false"),
    ([{"type": "numeric", "question": "Q", "answers": [
        {"type": "value", "value": 1, "correct": False, "feedback": "f"}, {"type": "default", "feedback": "g"}]}],
     "'correct': true"),
    ([{"type": "numeric", "question": "Q", "answers": [
        {"type": "default", "feedback": "g"}, {"type": "value", "value": 1, "correct": True, "feedback": "f"}]}],
     "end a numeric question's answers with a 'default'"),
    ([{"type": "numeric", "question": "Q", "answers": [
        {"type": "range", "range": [2, 1], "correct": True, "feedback": "f"}, {"type": "default", "feedback": "g"}]}],
     "low < high"),
])
def test_check_quiz_names_the_problem(broken, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        quiz.check_quiz(broken, "broken.json")


def test_unknown_chapter_names_the_valid_ones():
    with pytest.raises(ValueError, match="no quiz for chapter '13_transformers'") as error:
        quiz.load_quiz("13_transformers")
    assert all(chapter in str(error.value) for chapter in CHAPTERS)


def test_missing_quizzes_folder_says_where_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="clone of the course repository"):
        quiz.load_quiz("01_why_lstm", quiz_dir=tmp_path / "nowhere")


def test_invalid_json_names_the_file(tmp_path):
    (tmp_path / "01_why_lstm.json").write_text("[{", encoding="utf-8")
    with pytest.raises(ValueError, match="01_why_lstm.json is not valid UTF-8 JSON"):
        quiz.load_quiz("01_why_lstm", quiz_dir=tmp_path)


# ---------------------------------------------------------------- answers, recomputed

def _linear_rnn_input_gradient(w: float, steps_back: int) -> float:
    x = torch.randn(steps_back + 1, dtype=torch.float64, requires_grad=True)
    h = torch.zeros((), dtype=torch.float64)
    for x_t in x:
        h = w * h + x_t
    h.backward()
    return x.grad[0].item()


def test_ch01_gradient_is_a_power_of_w():
    assert _accepts("why-exploding-factor", _linear_rnn_input_gradient(2.0, 10))
    assert _correct("why-gradient-product") == "w<sup>T−t</sup>"
    assert _linear_rnn_input_gradient(0.5, 7) == pytest.approx(0.5**7)


def test_ch02_sigmoid_facts():
    x = torch.linspace(-10, 10, 20001, requires_grad=True)
    torch.sigmoid(x).sum().backward()
    assert _accepts("act-sigmoid-max-slope", round(x.grad.max().item(), 6))
    x40 = torch.tensor(40.0, requires_grad=True)
    torch.sigmoid(x40).backward()
    assert x40.grad.item() == 0.0 and "Saturation" in _correct("act-exact-zero-gradient")
    z = torch.linspace(-5, 5, 101, dtype=torch.float64)
    assert torch.allclose(2 * torch.sigmoid(2 * z) - 1, torch.tanh(z)) and _correct("act-tanh-identity") == "2σ(2x) − 1"
    assert round(2 * torch.sigmoid(torch.tensor(1.0)).item() - 1, 3) == 0.462  # quoted in the feedback


def _gated_params(*, forget: float, input_: float, candidate: float) -> ScalarLSTMParams:
    """All weights zero: each gate is the sigmoid (or tanh) of its bias."""
    logit = lambda p: math.log(p / (1 - p)) if 0 < p < 1 else math.copysign(20.0, p - 0.5)  # noqa: E731
    return ScalarLSTMParams(w1=0, w2=0, w3=0, w4=0, w5=0, w6=0, w7=0, w8=0,
                            b1=logit(forget), b2=math.atanh(candidate), b3=logit(input_), b4=0.0)


def test_ch03_gate_table_and_decay():
    c, _ = step(0.0, 2.0, 0.0, _gated_params(forget=1, input_=1, candidate=0.5))
    assert _accepts("gates-table-add", round(c, 6))
    c = 1.0
    for _ in range(10):
        c, _ = step(0.0, c, 0.0, _gated_params(forget=0.9, input_=0, candidate=0.5))
    assert _accepts("gates-decay", c)
    c, _ = step(0.0, 2.0, 0.0, _gated_params(forget=0, input_=1, candidate=0.5))
    assert c == pytest.approx(0.5) and _correct("gates-table-overwrite") == "Overwrites it"


def test_ch04_pytorch_order_one_bit_error_and_default_argument():
    only_forget_bias = _gated_params(forget=0.5, input_=0.5, candidate=0.0)
    only_forget_bias = ScalarLSTMParams(**{**only_forget_bias.as_dict(), "b1": 3.0})
    biases = to_torch_lstm_weights(only_forget_bias)["bias_ih_l0"]
    assert [i for i, b in enumerate(biases) if b != 0] == [1]
    assert _correct("slstm-forget-rows").startswith("The second block")
    x = torch.linspace(-1, 1, 2_000_001, dtype=torch.float64)
    assert _accepts("slstm-one-bit-error", torch.mean((x - torch.sign(x) / 2) ** 2).item())
    namespace: dict = {}
    exec("import numpy as np\n" + QUESTIONS["slstm-default-argument"]["code"], namespace)  # noqa: S102
    assert len({cell["w1"] for cell in namespace["cells"]}) == 1
    assert _correct("slstm-default-argument").startswith("All three cells get the same")


def test_ch05_parameter_count_and_shapes():
    lstm = nn.LSTM(10, 20)
    assert _accepts("vec-params-10-20", _n_params(lstm))
    assert _correct("vec-weight-hh-shape") == str(tuple(lstm.weight_hh_l0.shape))


def test_ch06_clip_returns_the_norm_before_clipping():
    weight = nn.Parameter(torch.zeros(2))
    weight.grad = torch.tensor([30.0, 40.0])
    returned = torch.nn.utils.clip_grad_norm_([weight], max_norm=5)
    assert _accepts("bptt-clip-returns", returned.item())
    assert weight.grad.norm().item() == pytest.approx(5.0)


def test_ch07_shapes_and_silent_mistakes():
    lstm = nn.LSTM(8, 16, num_layers=3, batch_first=True, bidirectional=True)
    output, (h_n, _) = lstm(torch.randn(4, 10, 8))
    assert _correct("api-hn-shape") == str(tuple(h_n.shape))
    assert _correct("api-output-shape") == str(tuple(output.shape))
    _, (h_n, _) = nn.LSTM(5, 8)(torch.randn(32, 10, 5))  # no error
    assert h_n.shape[1] == 10 and "32 time steps of a batch of 10" in _correct("api-missing-batch-first")
    with pytest.warns(UserWarning, match="dropout"):
        nn.LSTM(16, 32, num_layers=1, dropout=0.5)
    assert _correct("api-dropout-one-layer").startswith("Nothing")


def test_ch08_hn_layout_and_parameters():
    hidden = 3
    lstm = nn.LSTM(4, hidden, num_layers=2, batch_first=True, bidirectional=True)
    output, (h_n, _) = lstm(torch.randn(2, 5, 4))
    assert torch.equal(h_n[3], output[:, 0, hidden:]) and _correct("bi-hn-last-backward").startswith("h_n[3]")
    assert torch.equal(h_n[-2], output[:, -1, :hidden])
    assert not torch.allclose(h_n[-1], output[:, -1, hidden:])
    assert _correct("bi-output-last-step") == "Its backward half has read only the last token"
    assert _accepts("bi-params", _n_params(nn.LSTM(100, 256, num_layers=2, bidirectional=True)))


def test_ch09_batch_sizes():
    packed = pack_padded_sequence(torch.zeros(3, 5, 1), torch.tensor([2, 5, 3]), batch_first=True,
                                  enforce_sorted=False)
    assert _correct("var-batch-sizes") == str(packed.batch_sizes.tolist())


def test_ch10_vocabulary():
    namespace = {"Vocab": Vocab}
    exec(QUESTIONS["text-vocab-size"]["code"], namespace)  # noqa: S102
    assert _accepts("text-vocab-size", len(namespace["vocab"]))
    assert (Vocab.pad_id, Vocab.unk_id) == (0, 1)
    assert _correct("text-reserved-ids") == "0 for &lt;pad&gt;, 1 for &lt;unk&gt;"


def test_ch11_plateau_loss_is_the_label_entropy():
    labels = torch.tensor([1.0] * 3 + [0.0] * 7)
    loss = nn.functional.binary_cross_entropy(torch.full((10,), 0.3), labels)
    assert _accepts("char-plateau-loss", loss.item())


def test_ch12_head_double_sigmoid_and_padding_idx():
    lstm = nn.LSTM(100, 256, num_layers=2, bidirectional=True)
    _, (h_n, _) = lstm(torch.randn(3, 2, 100))
    assert torch.cat([h_n[-2], h_n[-1]], dim=1).shape[1] == 512 and "2 · 256" in _correct("imdb-linear-512")
    squeezed = torch.sigmoid(torch.sigmoid(torch.linspace(-50, 50, 101)))
    assert 0.5 <= squeezed.min() and squeezed.max() <= 0.7311  # the range quoted in the feedback
    nn.BCEWithLogitsLoss()(squeezed, torch.ones(101))  # no error: the bug is silent
    embedding = nn.Embedding(10, 4, padding_idx=0)
    embedding(torch.tensor([0, 0, 3])).sum().backward()
    assert embedding.weight.grad[0].abs().sum() == 0 and embedding.weight.grad[3].abs().sum() > 0
    assert _correct("imdb-padding-idx").startswith("Row 0 gets no gradient")


def test_every_numeric_answer_is_recomputed():
    source = Path(__file__).read_text(encoding="utf-8")
    numeric = [qid for qid, q in QUESTIONS.items() if q["type"] == "numeric"]
    assert numeric and all(f'_accepts("{qid}"' in source for qid in numeric)


# ---------------------------------------------------------------- what the cell outputs

def _outputs(monkeypatch, chapter: str) -> list:
    shown: list = []
    from jupyterquiz.dynamic import display as quiz_display

    monkeypatch.setattr(quiz_display, "display", shown.append)
    quiz.show_quiz(chapter)
    return [obj.data for obj in shown]


def test_show_quiz_embeds_everything_and_fetches_nothing(monkeypatch):
    monkeypatch.setattr(quiz, "_times_shown", quiz.collections.Counter())
    html, script = _outputs(monkeypatch, "08_bidirectional")
    div_id = re.match(r'<div id="([A-Za-z]{12})"', html).group(1)
    assert f"var questions{div_id}=" in script and "fetch(" not in script.split("if (typeof Question")[1]
    embedded = json.loads(script.split(f"var questions{div_id}=", 1)[1].split(";\n", 1)[0])
    assert [q["question"] for q in embedded] == [q["question"] for q in quiz.load_quiz("08_bidirectional")]
    assert all("id" not in q for q in embedded)
    # The only address anywhere is jupyterquiz's MathJax fallback, never used on a page whose MathJax has typeset().
    urls = set(re.findall(r"https?://[^\s'\"]+", html + script))
    assert urls == {"https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-svg.js"}


def test_show_quiz_output_is_the_same_on_every_fresh_run(monkeypatch):
    monkeypatch.setattr(quiz, "_times_shown", quiz.collections.Counter())
    first = _outputs(monkeypatch, "03_scalar_gates")
    again = _outputs(monkeypatch, "03_scalar_gates")
    monkeypatch.setattr(quiz, "_times_shown", quiz.collections.Counter())
    fresh = _outputs(monkeypatch, "03_scalar_gates")
    assert first == fresh, "a fresh run must store the same output (nbval compares it)"
    assert first[0][:30] != again[0][:30], "a second quiz in one kernel needs its own element ids"


# ---------------------------------------------------------------- in a browser

needs_chromium = pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="Debian's chromium is not installed (`make chromium`)",
)


def _page(tmp_path: Path, monkeypatch, chapter: str, extra_head: str = "", js_edit: tuple[str, str] = ("", "")) -> Path:
    monkeypatch.setattr(quiz, "_times_shown", quiz.collections.Counter())
    html, script = _outputs(monkeypatch, chapter)
    if js_edit[0]:
        assert js_edit[0] in script
        script = script.replace(*js_edit)
    page = tmp_path / f"{chapter}.html"
    page.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'>{extra_head}</head><body>"
                    f"{html}<script>{script}</script></body></html>", encoding="utf-8")
    return page


def _check(*pages: Path, timeout: str = "15") -> tuple[int, str]:
    import contextlib
    import io

    from tools.site_quiz_check import main

    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), warnings.catch_warnings():
        code = main(["--timeout", timeout, *map(str, pages)])
    return code, stderr.getvalue()


@needs_chromium
def test_browser_clicks_answers_and_sees_feedback(tmp_path, monkeypatch):
    code, problems = _check(_page(tmp_path, monkeypatch, "05_vectorized_cell"))
    assert (code, problems) == (0, "")


@needs_chromium
def test_browser_check_fails_without_quiz_or_with_external_requests(tmp_path, monkeypatch):
    broken = _page(tmp_path, monkeypatch, "07_nn_lstm_api",
                   js_edit=("Question.create(qa, id, index, options, container);", ""))
    code, problems = _check(broken, timeout="2")
    assert code == 1 and "no quiz rendered within 2 s" in problems
    online = _page(tmp_path, monkeypatch, "09_variable_length",
                   extra_head="<script src='https://cdn.example.org/x.js'></script>")
    code, problems = _check(online)
    assert code == 1 and "request to leave the site (blocked): https://cdn.example.org/x.js" in problems
    praises_wrong = _page(tmp_path, monkeypatch, "04_scalar_lstm",
                          js_edit=('fb.classList.add("incorrect");', 'fb.classList.add("correct");'))
    code, problems = _check(praises_wrong)
    assert code == 1 and "clicking an answer that is incorrect showed" in problems
