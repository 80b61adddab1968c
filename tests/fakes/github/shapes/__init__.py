"""Schema-shaped response bodies built from the fake's records."""

from .pulls import PullShapes as Shapes

__all__ = ["Shapes"]
