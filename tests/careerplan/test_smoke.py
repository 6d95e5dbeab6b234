def test_home_explains_the_method_to_a_visitor(client, db):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    for words in [
        "SMART",
        "GROW",
        "Could I be doing that within the next week?",
        "Success Journal",
        "Buddy",
    ]:
        assert words in body


def test_dashboard_sends_anonymous_visitors_to_log_in(client, db):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_dashboard_greets_the_owner(owner_client, owner):
    response = owner_client.get("/dashboard/")
    assert response.status_code == 200
    assert "Olivia Owner" in response.content.decode()
