"""Errors a handler reports as {"error": ...}."""


class SkillInputError(ValueError):
    """Bad handler input; reported to the caller as {"error": ...}."""

