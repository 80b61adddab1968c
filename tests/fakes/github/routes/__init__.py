"""Route handlers by area; importing this package registers every route."""

from ..routing import ROUTES
from . import app, checks, code_scanning, contents, deliveries, git, issues, manifests, pulls, users

__all__ = ["ROUTES", "app", "checks", "code_scanning", "contents", "deliveries", "git", "issues", "manifests",
           "pulls", "users"]
