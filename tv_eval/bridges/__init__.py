"""Bridges to other evaluation frameworks that run in managed environments of their own (lmms-eval)."""
