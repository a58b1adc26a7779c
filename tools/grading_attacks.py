"""Submissions that try to game the grader, and honest alternatives that must keep full marks.

``tools/assignments.py prove`` grades each with ``tools/grading_sandbox.py``: an attack must
score 0 on the question it targets, an honest alternative full marks on its question.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat

EXEC_MASTER = """def {name}(*args, **kwargs):
    from utils.grading import master_path
    source = open(master_path("{assignment}")).read()
    exec(source)
    return locals()["{name}"](*args, **kwargs)
"""


@dataclass(frozen=True)
class Attempt:
    """A replacement for the answer cell defining ``function``, or a cell added at the end."""

    assignment: str
    question: str
    label: str
    function: str  # "" adds ``source`` as a new last cell instead
    source: str
    honest: bool = False


ATTEMPTS = [
    Attempt(
        "a1_gates",
        "q1",
        "otter's call_func replaced",
        "",
        "import otter.test_files.abstract_test as t\nt.TestCase.call_func = lambda *a, **k: None\n",
    ),
    Attempt(
        "a1_gates",
        "q1",
        "torch.sigmoid in a NumPy-only question",
        "sigmoid",
        "import torch\n\ndef sigmoid(x):\n    import torch\n    import numpy as np\n"
        "    out = torch.sigmoid(torch.as_tensor(x, dtype=torch.float64)).numpy()\n"
        "    return out if isinstance(x, np.ndarray) else float(out)\n",
    ),
    Attempt(
        "a1_gates",
        "q1",
        "exec of the master's solution",
        "sigmoid",
        EXEC_MASTER.format(name="sigmoid", assignment="a1_gates"),
    ),
    Attempt(
        "a1_gates",
        "q3",
        "hard-coded step with P redefined",
        "step",
        "P = {'w1': 0.0}\n\ndef step(x, c, h, p):\n    return (0.4012, 0.2737)\n",
    ),
    Attempt(
        "a1_gates",
        "q3",
        "utils.scalar_lstm wrapper",
        "step",
        "from utils.scalar_lstm import step as _step\n\n"
        "def step(x, c, h, p):\n    return _step(x, c, h, p)\n",
    ),
    Attempt(
        "a1_gates",
        "q4",
        "an endless loop",
        "run",
        "def run(xs, p, c0=0.0, h0=0.0):\n    while True:\n        pass\n",
    ),
    Attempt(
        "a1_gates",
        "q5",
        "os._exit",
        "biases_for",
        "import os\n\ndef biases_for(behaviour):\n    os._exit(1)\n",
    ),
    Attempt("a1_gates", "q2", "SystemExit", "gates", "def gates(x, h, p):\n    raise SystemExit(0)\n"),
    Attempt(
        "a1_gates",
        "q2",
        "an exception whose str() raises",
        "gates",
        "class Bad(Exception):\n    def __str__(self):\n        raise RuntimeError('no')\n\n"
        "def gates(x, h, p):\n    raise Bad()\n",
    ),
    Attempt(
        "a1_gates",
        "q1",
        "0.5 * (1 + tanh(x / 2))",
        "sigmoid",
        "def sigmoid(x):\n    import numpy as np\n    import math\n"
        "    if isinstance(x, np.ndarray):\n        return 0.5 * (1.0 + np.tanh(0.5 * x))\n"
        "    return 0.5 * (1.0 + math.tanh(0.5 * x))\n",
        honest=True,
    ),
    Attempt(
        "a2_vectorized_cell",
        "q1",
        "torch.lstm_cell",
        "lstm_step",
        "def lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):\n"
        "    return torch.lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh)\n",
    ),
    Attempt(
        "a2_vectorized_cell",
        "q1",
        "the grader's torch mode popped",
        "lstm_step",
        "def lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):\n"
        "    with torch.overrides._pop_mode_temporarily():\n"
        "        return torch.lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh)\n",
    ),
    Attempt(
        "a2_vectorized_cell",
        "q1",
        "the grader's torch mode edited",
        "lstm_step",
        "def lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):\n"
        "    mode = torch.overrides._get_current_function_mode()\n"
        "    for cell in type(mode).__torch_function__.__closure__:\n"
        "        if isinstance(cell.cell_contents, dict):\n"
        "            cell.cell_contents['forbid_lstm'] = False\n"
        "    return torch.lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh)\n",
    ),
    Attempt(
        "a2_vectorized_cell",
        "q1",
        "nn.LSTMCell",
        "lstm_step",
        "def lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):\n"
        "    cell = torch.nn.LSTMCell(x.shape[1], h.shape[1])\n"
        "    cell.weight_ih.data, cell.weight_hh.data = w_ih, w_hh\n"
        "    cell.bias_ih.data, cell.bias_hh.data = b_ih, b_hh\n    return cell(x, (h, c))\n",
    ),
    Attempt(
        "a2_vectorized_cell",
        "q2",
        "torch.lstm",
        "lstm_layer",
        "def lstm_layer(x, w_ih, w_hh, b_ih, b_hh, h0=None, c0=None):\n    H = w_hh.shape[1]\n"
        "    z = x.new_zeros(1, x.shape[1], H)\n"
        "    out, h, c = torch.lstm(x, (z if h0 is None else h0, z if c0 is None else c0),\n"
        "                           (w_ih, w_hh, b_ih, b_hh), True, 1, 0.0, False, False, False)\n"
        "    return out, (h, c)\n",
    ),
    Attempt(
        "a2_vectorized_cell",
        "q3",
        "autograd for the hand backward",
        "lstm_step_backward",
        "def lstm_step_backward(dh, dc, cache):\n    import torch\n"
        "    t = {k: torch.tensor(v, requires_grad=True) for k, v in cache.items()}\n"
        "    return {k: torch.autograd.grad((t['c'] * torch.tensor(dc)).sum(), [t['c']])[0].numpy()"
        " for k in ['x']}\n",
    ),
    Attempt(
        "a2_vectorized_cell",
        "q3",
        "utils.lstm_numpy wrapper",
        "lstm_step_backward",
        "from utils.lstm_numpy import lstm_cell_backward\n\ndef lstm_step_backward(dh, dc, cache):\n"
        "    return lstm_cell_backward(dh, dc, cache)\n",
    ),
    Attempt(
        "a2_vectorized_cell",
        "q2",
        "tests folder overwritten",
        "",
        "import pathlib\nfor p in pathlib.Path('tests').glob('*.py'):\n"
        '    p.write_text(\'OK_FORMAT = False\\ntest = {"name": p.stem, "points": 3, "suites": []}\\n\')\n',
    ),
    Attempt(
        "a3_sentiment",
        "q4",
        "Checker.check wrapped",
        "",
        "import otter\notter.Notebook.check = lambda self, q, *a, **k: None\n",
    ),
    Attempt(
        "a3_sentiment",
        "q1",
        "utils.text.Vocab wrapper",
        "build_vocab",
        "from utils.text import Vocab\n\ndef build_vocab(texts, max_size, min_freq=1):\n"
        "    return dict(Vocab.build(texts, max_size=max_size, min_freq=min_freq).stoi)\n\n"
        "def encode(text, vocab):\n    return [vocab.get(t, 1) for t in word_tokenize(text)] or [1]\n",
    ),
]


def with_answer(notebook: Path, attempt: Attempt, out: Path) -> Path:
    """A copy of ``notebook`` with the attempt's source in place of its answer cell (or appended)."""
    nb = nbformat.read(notebook, as_version=4)
    if attempt.function:
        marker = f"def {attempt.function}("
        cells = [c for c in nb.cells if c.cell_type == "code" and c.source.lstrip().startswith(marker)]
        if len(cells) != 1:
            raise RuntimeError(f"no single answer cell of {notebook.name} starts with {marker!r}")
        cells[0].source = attempt.source
    else:
        nb.cells.append(nbformat.v4.new_code_cell(attempt.source))
    nbformat.write(nb, out)
    return out
