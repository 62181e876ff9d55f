"""Every ORM model, imported here so metadata and Alembic see them all."""

from gloss.models.article import Article, ArticleMention
from gloss.models.base import Base
from gloss.models.team import Membership, Role, Team
from gloss.models.user import ApiToken, User

__all__ = ["ApiToken", "Article", "ArticleMention", "Base", "Membership", "Role", "Team", "User"]
