"""`make run`: the links in emails follow the port it serves on."""

import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location(
    "run_script", Path(__file__).resolve().parents[2] / "scripts" / "run.py"
)
run_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_script)


def test_links_follow_the_port_unless_site_url_is_set():
    assert run_script.site_url("127.0.0.1", "8101", {}) == "http://127.0.0.1:8101"
    assert run_script.site_url("0.0.0.0", "8000", {}) == "http://127.0.0.1:8000"  # noqa: S104
    assert run_script.site_url("::1", "8000", {}) == "http://[::1]:8000"
    assert (
        run_script.site_url("127.0.0.1", "8101", {"SITE_URL": "https://plan.example.org"})
        == "https://plan.example.org"
    )
