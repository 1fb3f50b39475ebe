"""Strings Flask-AppBuilder shows that its own ``zh`` catalog leaves untranslated.

Listed here so ``pybabel extract`` puts them in our catalog, where they are translated.
"""

from flask_babel import lazy_gettext as _l

FAB_STRINGS = (
    _l("Add"),
    _l("Add Group"),
    _l("Are you sure you want to delete this item?"),
    _l("Contains (insensitive)"),
    _l("Database Error"),
    _l("Delete"),
    _l("Edit"),
    _l("Edit Group"),
    _l("Edit User Information"),
    _l("Either select a role or a group"),
    _l("Groups"),
    _l("In"),
    _l("List Groups"),
    _l("Not In"),
    _l("Show"),
    _l("Show Group"),
    _l("Statistics"),
    _l("User"),
    _l("User information changed"),
    _l("User(s) exists in the group, cannot delete"),
    _l("User(s) exists in the role, cannot delete"),
    _l("OpenID"),
)
