"""Extensions, unbound at import time; ``create_app`` binds them (AppBuilder is built there)."""

from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect

db = SQLA()
migrate = Migrate()
csrf = CSRFProtect()
talisman = Talisman()
