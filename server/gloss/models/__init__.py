"""Every ORM model, imported here so metadata and Alembic see them all."""

from gloss.models.base import Base
from gloss.models.glossary import Glossary, Term, TermForm, TermRevision
from gloss.models.team import Membership, Role, Team
from gloss.models.user import ApiToken, User

__all__ = [
    "ApiToken",
    "Base",
    "Glossary",
    "Membership",
    "Role",
    "Team",
    "Term",
    "TermForm",
    "TermRevision",
    "User",
]
