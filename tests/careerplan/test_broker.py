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
    (folder / "out").mkdir(exist_ok=True)
    return Connection(
        "filesystem://",
        transport=transport,
        transport_options={
            "data_folder_in": str(folder / "out"),
            "data_folder_out": str(folder / "out"),
            "processed_folder": str(folder / "processed"),
            "store_processed": False,
            "control_folder": str(folder / "control"),
        },
    )


class Peeking:
    """A file being written whose every write is first watched by `peek`."""

    def __init__(self, file, peek):
        self.file = file
        self.peek = peek

    def write(self, data):
        self.peek()
        return self.file.write(data)

    def __getattr__(self, name):
        return getattr(self.file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.file.close()


def test_a_reader_never_sees_a_message_before_it_is_whole(tmp_path, monkeypatch):
    """A worker's `_get` runs at each step of a `_put` that changes the folder: as the
    message is written and just before it is renamed. It finds nothing each time, and
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

        real_open, real_replace = builtins.open, os.replace

        def watched_open(file, mode="r", *args, **kwargs):
            opened = real_open(file, mode, *args, **kwargs)
            if "w" in mode and str(file).startswith(str(tmp_path / "out")):
                return Peeking(opened, peek)
            return opened

        def watched_replace(src, dst, *args, **kwargs):
            peek()
            return real_replace(src, dst, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", watched_open)
        monkeypatch.setattr(os, "replace", watched_replace)
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

        real_open, real_link = io.open, os.link

        def watched_open(file, mode="r", *args, **kwargs):
            opened = real_open(file, mode, *args, **kwargs)
            if ("w" in mode or "+" in mode) and "control" in str(file):
                peek()
            return opened

        def watched_link(src, dst, *args, **kwargs):
            peek()
            return real_link(src, dst, *args, **kwargs)

        # kombu and pathlib open files through io.open.
        monkeypatch.setattr(io, "open", watched_open)
        monkeypatch.setattr(os, "link", watched_link)
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
