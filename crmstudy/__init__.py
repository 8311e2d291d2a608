"""crmstudy: retail-bank customer relationship analytics.

Data flows one way: ``synth`` or a user's files -> ``schema`` -> ``features``
-> the analyses (``pareto`` ...) -> ``plots`` -> notebooks -> ``reports``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
