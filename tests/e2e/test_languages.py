"""zh_CN by default, English after switching; the choice is kept per user (C24)."""

from tests.conftest import web_login


def test_pages_are_chinese_by_default(app):
    client = app.test_client()
    assert "用户名" in client.get("/login/").get_data(as_text=True)
    web_login(client, "exec")
    home = client.get("/").get_data(as_text=True)
    assert "经销商管理平台" in home and "全部数据" in home and "高管" in home
    assert "经销商" in client.get("/dealerview/list/").get_data(as_text=True)


def test_switching_to_english_translates_our_and_fab_strings(app):
    client = app.test_client()
    web_login(client, "rm_east")
    assert client.get("/lang/en").status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Dealer management platform" in home and "经销商管理平台" not in home
    assert "regions /EAST/" in home and "Regional manager" in home
    listing = client.get("/dealerview/list/").get_data(as_text=True)
    assert "Dealers" in listing and "Region" in listing


def test_choice_is_remembered_for_the_user(app):
    first = app.test_client()
    web_login(first, "rep")
    first.get("/lang/en")
    second = app.test_client()  # a new browser
    assert "用户名" in second.get("/login/").get_data(as_text=True)
    web_login(second, "rep")
    assert "Dealer management platform" in second.get("/").get_data(as_text=True)
    other = app.test_client()
    web_login(other, "finance")
    assert "经销商管理平台" in other.get("/").get_data(as_text=True)


def test_unknown_language_is_404(client):
    assert client.get("/lang/xx").status_code == 404


def test_dealer_status_is_a_translated_choice(app):
    client = app.test_client()
    web_login(client, "exec")
    assert "正常" in client.get("/dealerview/list/").get_data(as_text=True)
    other = app.test_client()
    web_login(other, "rm_sh")
    form = other.get("/dealerview/add").get_data(as_text=True)
    assert "<select" in form and 'value="suspended"' in form and "已暂停" in form
