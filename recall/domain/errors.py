"""Root of the domain's exception tree.

Adapters catch `DomainError` to turn a refused rule into a clear message (CLI) or a
dead letter / 4xx (streams, API) instead of a crash.
"""


class DomainError(Exception):
    """A domain rule refused an operation; the message says which rule and what to do."""
