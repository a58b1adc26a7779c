"""Helpers for the LSTM course book.

Each module holds one idea and names the chapter that introduces it. Importing
``utils`` only defines things: no data is loaded, no seed is set, nothing is printed.
Import what you need explicitly, for example ``from utils.activations import sigmoid``.
"""

__all__: list[str] = []
