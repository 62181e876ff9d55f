"""Every ORM model, imported here so metadata and Alembic see them all."""

from gloss.models.article import Article, ArticleMention, ArticleVector
from gloss.models.base import Base
from gloss.models.collection import Annotation, Collection, ShareLink
from gloss.models.glossary import Glossary, Term, TermForm, TermRevision
from gloss.models.team import Invitation, Membership, Role, Team
from gloss.models.user import ApiToken, User

__all__ = [
    "Annotation",
    "ApiToken",
    "Article",
    "ArticleMention",
    "ArticleVector",
    "Base",
    "Collection",
    "Glossary",
    "Invitation",
    "Membership",
    "Role",
    "ShareLink",
    "Team",
    "Term",
    "TermForm",
    "TermRevision",
    "User",
]
