"""`make run`: the links in emails follow the port it serves on; a worker or beat that
exits is started again, and Ctrl-C stops everything."""

import importlib.util
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.processes import wait_for

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "run.py"
spec = importlib.util.spec_from_file_location("run_script", SCRIPT)
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


def test_the_worker_and_beat_run_with_their_watchdogs_and_are_restarted(settings):
    children = {child.name: child for child in run_script.commands("127.0.0.1", "8000", Path())}
    for name in ("worker", "beat"):
        assert children[name].restart, name
    # Beat runs the scheduler from the settings, the one that tells its watchdog of ticks,
    # and both watchdogs are on by default.
    assert not any(arg.startswith(("-S", "--scheduler")) for arg in children["beat"].command)
    assert settings.CELERY_BEAT_SCHEDULER == "careerplan.beat:Scheduler"
    assert settings.WORKER_WATCHDOG_SECONDS > 0
    assert settings.BEAT_WATCHDOG_SECONDS > 0


# The supervisor: a worker or beat that exits is started again; Ctrl-C stops everything.

PYTHON = sys.executable


def exits_with(status):
    return [PYTHON, "-c", f"import sys; sys.exit({status})"]


def sleeps_and_writes_its_pid(path):
    return [
        PYTHON,
        "-c",
        "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(60)",
        str(path),
    ]


def alive(pid):
    """True if the process exists and is not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_worker_that_exits_is_started_again_with_a_growing_back_off():
    said = []
    worker = run_script.Child("worker", exits_with(3), restart=True)
    supervisor = run_script.Supervisor(
        [worker], first_backoff=1, max_backoff=4, steady_after=60, say=said.append
    )
    supervisor.start_all()
    backoffs = []
    for _ in range(4):
        worker.process.wait()
        assert supervisor.tick(time.monotonic())
        backoffs.append(worker.backoff)
        assert not worker.running  # waiting out its back-off
        assert supervisor.tick(worker.restart_at)  # started again
    worker.process.wait()
    assert backoffs == [1, 2, 4, 4]
    assert worker.exits == [3, 3, 3, 3]
    assert said[:2] == ["worker exited with 3; starting it again in 1s.", "Starting worker again."]


def test_a_worker_that_ran_steadily_starts_again_at_the_first_back_off():
    worker = run_script.Child("worker", exits_with(1), restart=True)
    supervisor = run_script.Supervisor([worker], first_backoff=1, steady_after=0, say=print)
    supervisor.start_all()
    for _ in range(3):
        worker.process.wait()
        supervisor.tick()
        assert worker.backoff == 1
        supervisor.tick(worker.restart_at)
    worker.process.wait()


def test_what_a_worker_leaves_running_in_its_process_group_goes_with_it(tmp_path):
    pid_file = tmp_path / "pool.pid"
    # A worker whose pool process outlives it, as prefork's would after os._exit.
    spawn_and_exit = (
        "import subprocess, sys; "
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        "open(sys.argv[1], 'w').write(str(p.pid)); sys.exit(1)"
    )
    worker = run_script.Child("worker", [PYTHON, "-c", spawn_and_exit, str(pid_file)], True)
    supervisor = run_script.Supervisor([worker], say=print)
    supervisor.start_all()
    worker.process.wait()
    pool_pid = int(pid_file.read_text())
    assert alive(pool_pid)
    supervisor.tick()
    assert wait_for(lambda: not alive(pool_pid), timeout=10)


def test_the_web_server_exiting_stops_everything(tmp_path):
    web = run_script.Child("web", exits_with(1), restart=False)
    worker = run_script.Child("worker", sleeps_and_writes_its_pid(tmp_path / "w"), True)
    supervisor = run_script.Supervisor([web, worker], grace=5, say=print)
    assert supervisor.run(threading.Event(), interval=0.05) == 1
    assert worker.process.poll() is not None


def test_ctrl_c_stops_every_child_and_restarts_none(tmp_path):
    children = [
        (name, sleeps_and_writes_its_pid(tmp_path / name), name != "web")
        for name in ("web", "worker", "beat")
    ]
    program = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('run', {str(SCRIPT)!r})\n"
        "run = importlib.util.module_from_spec(spec); spec.loader.exec_module(run)\n"
        f"children = [run.Child(*child) for child in {children!r}]\n"
        "sys.exit(run.serve(run.Supervisor(children, grace=5)))\n"
    )
    supervisor = subprocess.Popen([PYTHON, "-c", program])
    assert wait_for(lambda: all((tmp_path / name).exists() for name, _, _ in children), 20)
    pids = [int((tmp_path / name).read_text()) for name, _, _ in children]
    supervisor.send_signal(signal.SIGINT)
    assert supervisor.wait(timeout=20) == 0
    assert not any(alive(pid) for pid in pids)
