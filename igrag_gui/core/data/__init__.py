"""Training data: reading (``records``), tokenizing (``tokenize``), preparing and caching at any
size (``prepare``, ``cache``), and importing what users have (``importing``, ``lengths``).

The names below are the package's public face; ``from igrag_gui.core.data import ...`` keeps
working for callers of the former single module. Submodules import heavy libraries (pyarrow,
datasets) only when used.
"""

from .records import Example, estimate_rows, first_examples, iter_examples, read_examples
from .tokenize import TokenizedData, make_collator, tokenize_batch, tokenize_examples

__all__ = ["Example", "TokenizedData", "estimate_rows", "first_examples", "iter_examples", "make_collator",
           "read_examples", "tokenize_batch", "tokenize_examples"]
