"""The installable app: manifest, service worker and offline page."""

import json

from django.contrib.staticfiles import finders


def test_the_manifest_names_the_app_its_icons_and_where_it_starts(client, db):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "careerplan"
    assert manifest["start_url"] == "/dashboard/"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon["src"]


def test_the_service_worker_is_served_from_the_root_and_never_cached(client, db):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    body = response.text
    assert '"/offline/"' in body
    assert "/static/css/app.css" in body
    # The pages kept are the dashboard and plan pages, and sign-in or out clears them.
    assert r"/^\/dashboard\/$/" in body
    assert '"/accounts/logout/"' in body


def test_every_page_links_the_manifest_and_carries_the_hidden_offline_banner(owner_client):
    page = owner_client.get("/dashboard/").text

    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert 'data-service-worker="/sw.js"' in page
    assert "data-offline-banner hidden" in page
    assert "<span data-offline-time></span>" in page


def test_the_offline_page_shows_nothing_of_the_person_who_kept_it(owner_client, owner):
    response = owner_client.get("/offline/")

    assert response.status_code == 200
    assert "You are offline" in response.text
    assert owner.display_name not in response.text
    assert "Sign in" in response.text
