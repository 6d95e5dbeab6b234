"""The embedded broker: kombu's filesystem transport, each message written whole first.

kombu's `Channel._put` opens `<ms>_<uuid>.<queue>.msg` under its final name (empty), locks
it and then writes; `_get` takes the first such file by renaming it out of the folder, and
a rename does not wait for the writer's lock. A worker that came by between the open and
the write read an empty message: `JSONDecodeError`, an "Unrecoverable error" that
restarted the worker, and the task was gone with the file it had already moved.

Here a message is written to `.<final name>.tmp` in the same folder, a name `_get`,
`_size` and `_purge` never match, and only then renamed to its final name: `os.replace`
within one folder is atomic, so a reader finds the whole message or nothing. A failed
write removes its temporary file and raises `ChannelError`, as kombu does; a writer
killed mid-write leaves a hidden file no reader takes.

`_get` stays kombu's. With whole files written, an unreadable message can no longer come
from this race, only from outside the broker (a writer without this transport, a damaged
disk); the worker then fails loudly as before, where skipping the file would drop a task
without a word.

An exchange's table of queues (in the control folder) had the same gap: the first bind
created the file empty and locked it only then, so a second process binding or
broadcasting at that moment (a worker and beat starting together on a fresh `var/`) read
an empty table. `_queue_bind` now first makes the file whole, holding an empty table,
with a hard link that fails if another process made it first; kombu's bind then always
takes its locked read-and-update path.

Settings name it by URL scheme, `careerplan-filesystem://` (a kombu transport alias: kombu
takes no import path from a URL), not by `CELERY_BROKER_TRANSPORT`, which would outrank the
scheme of every URL, so a connection made from another URL (/readyz checks whatever
`CELERY_BROKER_URL` says) would quietly be served from these folders.
"""

import contextlib
import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put `payload` on `queue`: written to a hidden name, then renamed into view."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.tmp")
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.remove(partial)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        """Bind as kombu does, once the exchange's table exists whole."""
        table = self._exchange_file(exchange)
        self.control_folder.mkdir(exist_ok=True)
        if not table.exists():
            partial = table.with_name(f".{table.name}.{uuid.uuid4()}.tmp")
            try:
                partial.write_bytes(str_to_bytes(dumps([])))
                with contextlib.suppress(FileExistsError):  # another process made it
                    os.link(partial, table)
            except OSError as exc:
                raise ChannelError(f"Cannot open {table}") from exc
            finally:
                with contextlib.suppress(OSError):
                    partial.unlink()
        super()._queue_bind(exchange, routing_key, pattern, queue)


class Transport(filesystem.Transport):
    Channel = Channel


SCHEME = "careerplan-filesystem"


def configure(folder):
    """Return the broker URL and transport options of an embedded broker under `folder`
    (a `pathlib.Path`; its folders are made), the URL's scheme registered as this
    transport."""
    for sub in ("out", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    TRANSPORT_ALIASES[SCHEME] = f"{__name__}:Transport"
    options = {
        "data_folder_in": str(folder / "out"),
        "data_folder_out": str(folder / "out"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
        # Broadcasts (worker control, beat's exchange table) go here too, not into the
        # directory the worker was started from.
        "control_folder": str(folder / "control"),
    }
    return f"{SCHEME}://", options
