"""evalspec: a declarative, spec-driven regression gate for LLMs."""

__version__ = "0.1.0"
