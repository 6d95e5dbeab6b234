"""The embedded broker (careerplan.broker): a worker never finds a message half-written,
messages go round a real kombu connection, and the embedded settings use the transport."""

import builtins
import io
import os
import subprocess
import sys
import time
from queue import Empty

import pytest
from django.conf import settings
from kombu import Connection
from kombu.exceptions import ChannelError

from careerplan import broker

QUEUE = "celery"
# The transport under test; kombu's own (kombu.transport.filesystem.Transport) fails the
# first test.

TRANSPORT = broker.Transport


def connect(folder, transport=TRANSPORT):
    """A connection to the filesystem broker in `folder`, as the embedded settings make."""
    _url, options = broker.configure(folder)
    return Connection("filesystem://", transport=transport, transport_options=options)


def peek_at_each_step(monkeypatch, folder, peek, *steps):
    """Call `peek` as each file under `folder` is opened for writing (kombu and pathlib
    open through io.open, the transport through open), and before each of the `os`
    functions named in `steps`."""
    real_open = io.open

    def watched_open(file, mode="r", *args, **kwargs):
        opened = real_open(file, mode, *args, **kwargs)
        if ("w" in mode or "+" in mode) and str(file).startswith(str(folder)):
            peek()
        return opened

    monkeypatch.setattr(io, "open", watched_open)
    monkeypatch.setattr(builtins, "open", watched_open)
    for name in steps:
        monkeypatch.setattr(os, name, _peeking(getattr(os, name), peek))


def _peeking(function, peek):
    def watched(*args, **kwargs):
        peek()
        return function(*args, **kwargs)

    return watched


def test_a_reader_never_sees_a_message_before_it_is_whole(tmp_path, monkeypatch):
    """A worker's `_get` runs at each step of a `_put` that changes the folder: as the
    message's file is opened and just before it is renamed. It finds nothing each time, and
    after the put it finds exactly the message."""
    with connect(tmp_path) as writing, connect(tmp_path) as reading:
        writer, reader = writing.default_channel, reading.default_channel
        seen = []

        def peek():
            try:
                seen.append(("got", reader._get(QUEUE)))
            except Empty:
                seen.append("empty")
            except Exception as error:  # kombu's own channel: JSONDecodeError
                seen.append(("raised", repr(error)))

        peek_at_each_step(monkeypatch, tmp_path / "out", peek, "replace")
        payload = {"body": "aGVsbG8=", "headers": {"task": "careerplan.tasks.heartbeat"}}
        writer._put(QUEUE, payload)
        monkeypatch.undo()

        assert seen
        assert seen == ["empty"] * len(seen)
        assert reader._get(QUEUE) == payload
        with pytest.raises(Empty):
            reader._get(QUEUE)
        assert os.listdir(tmp_path / "out") == []


def test_an_exchange_table_is_never_read_before_it_is_whole(tmp_path, monkeypatch):
    """The first bind of an exchange (a worker's control queue) while another process
    reads its table (beat or a broadcast, starting at the same moment): the reader finds
    no table or a whole one at every step, never an empty file."""
    exchange = "celery.pidbox"
    with connect(tmp_path) as binding, connect(tmp_path) as reading:
        binder, reader = binding.default_channel, reading.default_channel
        binder.control_folder.mkdir(exist_ok=True)
        seen = []

        def peek():
            try:
                seen.append(reader.get_table(exchange))
            except Exception as error:  # kombu's own channel: JSONDecodeError
                seen.append(repr(error))

        peek_at_each_step(monkeypatch, tmp_path / "control", peek, "link")
        binder._queue_bind(exchange, "", "", "worker@host.celery.pidbox")
        monkeypatch.undo()

        assert seen
        assert all(table == [] for table in seen), seen
        assert [q.queue for q in reader.get_table(exchange)] == ["worker@host.celery.pidbox"]
        # A second bind adds to the table made whole by the first.
        reader._queue_bind(exchange, "", "", "other@host.celery.pidbox")
        assert len(binder.get_table(exchange)) == 2


def test_a_failed_write_leaves_nothing_behind_and_raises_as_kombu_does(tmp_path, monkeypatch):
    def full(src, dst):
        raise OSError(28, "No space left on device")

    with connect(tmp_path) as connection:
        monkeypatch.setattr(os, "replace", full)
        with pytest.raises(ChannelError):
            connection.default_channel._put(QUEUE, {"body": "x"})
    assert os.listdir(tmp_path / "out") == []


def test_messages_go_round_a_kombu_connection_in_order(tmp_path):
    with connect(tmp_path) as connection:
        assert isinstance(connection.default_channel, broker.Channel)
        queue = connection.SimpleQueue("careerplan-broker-test")
        sent = [{"n": n, "text": "é" * n} for n in range(5)]
        for message in sent:
            queue.put(message)
            # Files are taken in name order: the put's millisecond, then a random uuid.
            time.sleep(0.002)
        assert len(queue) == len(sent)
        received = []
        for _ in sent:
            message = queue.get(timeout=1)
            received.append(message.payload)
            message.ack()
        assert received == sent
        with pytest.raises(Empty):
            queue.get(block=False)
        queue.close()


def _celery_transports(tmp_path, **env):
    """In a fresh process, the transport classes of the app's Celery connection, of its
    clone (pools and the worker's control channel clone it) and of the one /readyz makes
    from CELERY_BROKER_URL."""
    dropped = ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    base = {k: v for k, v in os.environ.items() if k not in dropped and not k.endswith("_FILE")}
    script = """
from django.conf import settings
from careerplan.celery import app
def name(connection):
    cls = type(connection.transport)
    return f"{cls.__module__}:{cls.__qualname__}"
connection = app.connection_for_write()
print(name(connection), name(connection.clone()),
      name(app.connection_for_read(settings.CELERY_BROKER_URL)))
"""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=settings.BASE_DIR,
        env={**base, "VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.strip().splitlines()[-1].split())


def test_the_embedded_settings_connect_celery_with_this_transport(tmp_path):
    assert _celery_transports(tmp_path) == {"careerplan.broker:Transport"}


def test_with_redis_celery_connects_to_redis(tmp_path):
    transports = _celery_transports(tmp_path, REDIS_URL="redis://127.0.0.1:1/0")
    assert transports == {"kombu.transport.redis:Transport"}
