"""Route handlers by area; importing this package registers every route."""

from ..routing import ROUTES
from . import app, checks, contents, deliveries, git, issues, manifests, pulls, users

__all__ = ["ROUTES", "app", "checks", "contents", "deliveries", "git", "issues", "manifests",
           "pulls", "users"]
