"""Every string of ours has a Chinese translation (the default UI language)."""

from babel.messages.pofile import read_po

from app.config import ROOT

TRANSLATIONS = ROOT / "app" / "translations"


def test_every_template_string_is_translated_to_chinese():
    template = read_po((TRANSLATIONS / "messages.pot").open("rb"))
    chinese = read_po((TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po").open("rb"))
    missing = [m.id for m in template if m.id and not (chinese.get(m.id) and chinese.get(m.id).string)]
    assert missing == []
    assert not chinese.fuzzy
