"""A small TCP proxy between Roster and PostgreSQL that a test can cut and restore, so
the database can "go away" under load without touching the shared PostgreSQL server.

cut(): every open connection is reset and new ones are refused (the listening socket
is closed), as when PostgreSQL restarts. hang(): nothing answers any more (bytes are
swallowed, new connections accepted and left silent), as when a network path drops
packets: only timeouts end a wait. restore(): back to normal on the same port (hung
connections are reset). Loopback only.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.connections = 0  # accepted so far
        self.hanging = False

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by cut()
            if self.hanging:
                with self._lock:
                    self._sockets.add(client)  # accepted, never answered
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
                self.connections += 1
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                if not self.hanging:
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                self._close(s)

    def _close(self, s: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(s)
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            s.close()

    def cut(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        self._reset_all()

    def _reset_all(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for s in sockets:
            # RST rather than FIN: what a dropped connection looks like to the client.
            with contextlib.suppress(OSError):
                s.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
            self._close(s)

    def hang(self) -> None:
        self.hanging = True

    def restore(self) -> None:
        if self.hanging:
            self.hanging = False
            self._reset_all()  # their protocol state is lost
            return
        self.start()

    def stop(self) -> None:
        self.cut()
