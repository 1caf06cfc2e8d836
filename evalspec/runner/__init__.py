"""Execute a Plan: one engine per model group, batched calls per unit, records appended.

Public entry point: `execute`.
"""

from evalspec.runner.execute import Execution, execute

__all__ = ["Execution", "execute"]
