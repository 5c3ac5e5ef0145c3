"""A stand-in for a widget's comm that records what the widget sends (the tests read the
update messages and their binary buffers instead of a browser)."""

from __future__ import annotations


class RecordingComm:
    """Records what a widget sends (ipywidgets calls ``comm.send(data=..., buffers=...)``)."""

    comm_id = "recording-comm"

    def __init__(self) -> None:
        self.messages: list[tuple[dict, list]] = []

    def send(self, data=None, buffers=None, **_: object) -> None:
        self.messages.append((data, list(buffers or [])))

    def on_msg(self, *_: object) -> None:
        pass

    def close(self, *_, **__) -> None:
        pass

    def frames(self) -> list[int]:
        """The ``frame`` counters of the update messages, in order."""
        return [m["state"]["frame"] for m, _ in self.messages
                if m.get("method") == "update" and "frame" in m.get("state", {})]
