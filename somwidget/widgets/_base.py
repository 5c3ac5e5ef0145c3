"""The base of every view: initialise-if-needed, live callback, picture, close.

:class:`ViewBase` is a mixin placed before the ipywidgets class a view builds on
(``anywidget.AnyWidget``, ``ipywidgets.VBox``, ``ipywidgets.HTML``)::

    class HitMap(ViewBase, anywidget.AnyWidget): ...

It gives every view the same contract:

* ``View(som, X=None, *, ...)``: :meth:`ViewBase._ensure_initialized` initialises an unfitted SOM
  from ``X`` (or says clearly that it needs ``X``);
* ``view(state)`` is a training callback (:class:`~somwidget.widgets.live.LiveUpdateMixin`):
  ``som.fit(X, callbacks=[view])`` redraws at most ``max_rate_hz`` times a second and always on
  the final state; the view implements :meth:`ViewBase.refresh`;
* :meth:`ViewBase.to_picture` is its static picture (a
  :class:`~somwidget.widgets.pictures.compose.Picture`), :meth:`ViewBase.to_svg` the SVG text,
  and the MIME bundle carries it as ``image/svg+xml``;
* displayed in a notebook, a view writes two outputs: the live widget, and its static picture
  with a display id (:meth:`PictureMixin.static_bundle`) that the view keeps up to date:
  :meth:`PictureMixin.update_picture` replaces it, and live refreshes do so every
  ``picture_interval_s`` seconds and always on the final training state, and a
  :meth:`ViewBase.refresh` called by hand schedules it through the same rate limit
  (:meth:`PictureMixin.schedule_picture`), so a saved or
  ``nbconvert --execute``-d notebook shows the state at the end, not the untrained map. The
  picture output hides itself (CSS) on a page where its live view is rendered, and shows where
  the widget JavaScript is absent (exported HTML, GitHub);
* :meth:`ViewBase.close` releases everything the view holds: it stops observing the shared
  selection, closes every widget the view created (boxes, controls, bqplot figures with their
  marks, scales, axes and tooltips, layouts and styles; sub-views close themselves the same way),
  drops its references to the SOM and the data, and closes the widget itself. Widgets handed in
  by the caller (a shared :class:`~somwidget.widgets.selection.Selection`) stay open. Closing
  twice is harmless.
"""

from __future__ import annotations

import base64
import html
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import anywidget
import ipywidgets as widgets

from .._keyword_checks import explained_signature
from ..validation import NotFittedError, check_positive
from .live import LiveUpdateMixin, _children_of, in_live_refresh
from .pictures.compose import Picture

__all__ = ["PICTURE_CLASS", "PictureMixin", "ViewBase", "close_widgets"]

#: Class of the static picture's HTML wrapper in the notebook output.
PICTURE_CLASS = "somwidget-static-picture"
#: Pictures above this many characters of SVG are embedded as an ``<img>`` data URI only.
_INLINE_SVG_LIMIT = 400_000

#: A picture that takes longer than this to draw, or is bigger than this many characters, is
#: refreshed only at the end of training (live, it would hold up the training thread and the page).
LIVE_PICTURE_MAX_S = 0.25
LIVE_PICTURE_MAX_BYTES = 600_000

#: Widgets whose picture output a notebook holds (a Row shows the pictures of its views).
_DISPLAYED: weakref.WeakSet = weakref.WeakSet()


def _contains(root: Any, target: Any) -> bool:
    stack, seen = [root], set()
    while stack:
        w = stack.pop()
        if w is target:
            return True
        if id(w) in seen:
            continue
        seen.add(id(w))
        stack.extend(_children_of(w))
    return False


def pictures_showing(widget: Any) -> list[Any]:
    """The displayed widgets whose picture output shows ``widget`` (itself, a Row around it)."""
    return [w for w in list(_DISPLAYED) if _contains(w, widget)]


def _widgets_in(value: Any) -> Iterator[widgets.Widget]:
    """The widgets held by one trait value (a widget, or a list / tuple / dict of them)."""
    if isinstance(value, widgets.Widget):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _widgets_in(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _widgets_in(v)


def close_widgets(roots: Iterable[Any], keep: Iterable[Any] = ()) -> None:
    """Close ``roots`` and every widget reachable from them through their traits.

    Box children, a bqplot figure's marks, axes, scales and interaction, a mark's scales and
    tooltip, every widget's layout and style: all are widgets in ipywidgets' registry until
    closed. A :class:`ViewBase` met on the way closes itself (it knows what it must keep);
    widgets in ``keep`` (shared ones) and everything reachable only through them stay open.
    Closing a closed widget does nothing.
    """
    kept = {id(w) for w in keep}
    seen: set[int] = set()
    stack = [w for w in roots if isinstance(w, widgets.Widget)]
    while stack:
        w = stack.pop()
        if id(w) in seen or id(w) in kept:
            continue
        seen.add(id(w))
        if isinstance(w, ViewBase):
            w.close()
            continue
        # traits already created only (reading a missing default would create a new widget)
        for value in list(w._trait_values.values()):
            stack.extend(_widgets_in(value))
        w.close()


class PictureMixin:
    """A widget with a static picture: :meth:`to_picture`, :meth:`to_svg`, an ``image/svg+xml``
    entry in its MIME bundle, and a picture output in the notebook that follows the widget's
    state (mixed in before the ipywidgets class; see the module docstring)."""

    #: Least seconds between two live refreshes of the notebook's picture output (the final
    #: training state always refreshes it).
    picture_interval_s: float = 3.0

    def to_picture(self) -> Picture:
        """The static picture of the widget (no browser needed)."""
        raise NotImplementedError(f"{type(self).__name__} must implement to_picture()")

    def to_svg(self, *args: Any, **kwargs: Any) -> str:
        """The static picture as a standalone SVG string (:meth:`to_picture`'s text)."""
        return self.to_picture(*args, **kwargs).svg

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        if bundle is None:
            return None
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        try:
            data["image/svg+xml"] = self.to_svg()
        except Exception:  # the picture is a fallback only: it never breaks the live display
            pass
        return bundle

    # ---- the picture output of a displayed widget ----------------------------------------------
    def _live_class(self) -> str:
        return f"somwidget-live-{getattr(self, 'model_id', '') or id(self)}"

    def static_bundle(self) -> dict[str, str]:
        """The MIME bundle of the picture output: ``text/html`` and (up to 400,000 characters)
        ``image/svg+xml``.

        The HTML shows the picture and carries a style rule that hides the whole output where the
        live view of this very widget is rendered on the page (JupyterLab, Notebook 7), so only
        pages without the widget JavaScript (exported HTML, GitHub, a closed kernel) show it.
        """
        svg = self.to_svg()
        key = self._live_class().removeprefix("somwidget-live-")
        pic = f"{PICTURE_CLASS}-{key}"
        hide = (f"body:has(.{self._live_class()}) .jp-OutputArea-child:has(.{pic}),"
                f"body:has(.{self._live_class()}) .{pic}{{display:none}}")
        if len(svg) <= _INLINE_SVG_LIMIT:
            body = svg
        else:
            uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
            body = f'<img alt="{html.escape(type(self).__name__)} picture" src="{uri}"/>'
        bundle = {
            "text/html": (f'<div class="{PICTURE_CLASS} {pic}" data-view="{type(self).__name__}">'
                          f"<style>{hide}</style>{body}</div>"),
            "text/plain": f"<static picture of {type(self).__name__}>",
        }
        if len(svg) <= _INLINE_SVG_LIMIT:  # a big picture travels once, in the HTML
            bundle["image/svg+xml"] = svg
        return bundle

    def _ipython_display_(self) -> None:
        """Display the live widget, then its picture output (kept up to date)."""
        from IPython.display import display

        if self.__dict__.get("_view_closed") or getattr(self, "comm", True) is None:
            # ipywidgets would print "'NoneType' object has no attribute 'comm_id'"
            name = type(self).__name__
            display({"text/plain": f"{name} (closed: close() released it; make a new {name} to "
                                   "show it again)"}, raw=True)
            return
        if isinstance(self, widgets.DOMWidget):
            self.add_class(self._live_class())
        bundle = super()._repr_mimebundle_()  # type: ignore[misc]  # the widget, no picture
        if bundle is None:
            return
        data, meta = bundle if isinstance(bundle, tuple) else (bundle, {})
        display(data, metadata=meta, raw=True)
        try:
            picture = self.static_bundle()
        except Exception:  # the picture is a fallback only: it never breaks the live display
            return
        handle = display(picture, raw=True, display_id=True)
        if handle is not None:
            self.__dict__.setdefault("_picture_handles", []).append(handle)
            self.__dict__["_picture_at"] = time.monotonic()
            _DISPLAYED.add(self)

    @property
    def picture_displays(self) -> int:
        """How many picture outputs of this widget the notebook holds."""
        return len(self.__dict__.get("_picture_handles", ()))

    def update_picture(self, force: bool = True) -> bool:
        """Replace the notebook's picture outputs of this widget by its current state.

        Parameters
        ----------
        force : bool
            False: only when ``picture_interval_s`` passed since the last update (live
            refreshes); True: now.

        Returns
        -------
        bool
            Whether a picture was sent.
        """
        handles = self.__dict__.get("_picture_handles")
        if not handles:
            return False
        lock = self.__dict__.setdefault("_picture_lock", threading.Lock())
        now = time.monotonic()
        with lock:
            # live: at most every picture_interval_s, and never more than ~5 % of the time
            # (a big dashboard's picture takes a while to draw)
            cost = self.__dict__.get("_picture_cost", 0.0)
            if not force and (cost > LIVE_PICTURE_MAX_S
                              or self.__dict__.get("_picture_bytes", 0) > LIVE_PICTURE_MAX_BYTES
                              or now - self.__dict__.get("_picture_at", 0.0)
                              < max(self.picture_interval_s, 20.0 * cost)):
                return False
            self.__dict__["_picture_at"] = now
            try:
                picture = self.static_bundle()
            except Exception:  # a picture that cannot be drawn leaves the last one
                return False
            self.__dict__["_picture_cost"] = time.monotonic() - now
            self.__dict__["_picture_bytes"] = sum(len(v) for v in picture.values())
            for h in handles:
                h.update(picture, raw=True)
        return True

    def _picture_wait(self) -> float:
        """Seconds until the rate limit of :meth:`update_picture` lets a picture through."""
        d = self.__dict__
        gap = max(self.picture_interval_s, 20.0 * d.get("_picture_cost", 0.0))
        return d.get("_picture_at", 0.0) + gap - time.monotonic()

    def schedule_picture(self) -> bool:
        """Bring the notebook's picture outputs up to date within the rate limit: now when
        ``picture_interval_s`` passed since the last update, else once when it will have (one
        pending update at a time, drawing the state of then).

        Returns
        -------
        bool
            Whether a picture was sent now (False: none displayed, or one is scheduled).
        """
        d = self.__dict__
        if not d.get("_picture_handles") or d.get("_view_closed"):
            return False
        lock = d.setdefault("_picture_lock", threading.Lock())
        with lock:
            if d.get("_picture_timer") is not None:
                return False  # the pending update will draw the latest state
            wait = self._picture_wait()
            if wait > 0:
                timer = threading.Timer(wait, self._scheduled_picture)
                timer.daemon = True
                d["_picture_timer"] = timer
                timer.start()
                return False
        return self.update_picture(force=True)

    def _scheduled_picture(self) -> None:
        d = self.__dict__
        with d.setdefault("_picture_lock", threading.Lock()):
            d["_picture_timer"] = None
        if not d.get("_view_closed"):
            self.update_picture(force=True)

    def _cancel_scheduled_picture(self) -> None:
        timer = self.__dict__.pop("_picture_timer", None)
        if timer is not None:
            timer.cancel()


_REFRESH_DEPTH = threading.local()


def _scheduling_picture(refresh: Callable[..., Any]) -> Callable[..., Any]:
    """``refresh`` that, called by hand (not from a training callback, not inside another
    view's refresh), schedules the pictures showing the view (:meth:`PictureMixin.schedule_picture`)."""
    import functools

    @functools.wraps(refresh)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        depth = getattr(_REFRESH_DEPTH, "n", 0)
        _REFRESH_DEPTH.n = depth + 1
        try:
            result = refresh(self, *args, **kwargs)
        finally:
            _REFRESH_DEPTH.n = depth
        if depth == 0 and not in_live_refresh() and not self.__dict__.get("_view_closed"):
            for shown in pictures_showing(self):
                shown.schedule_picture()
        return result

    wrapper._schedules_picture = True  # type: ignore[attr-defined]
    return wrapper


def _closed_guard(method: Callable[..., Any], closed: str | None) -> Callable[..., Any]:
    """``method`` for an open view; on a closed one (its model and data are gone) a
    ValueError ``closed`` (``{}``: the class name), or with ``closed=None`` nothing at all
    (returns None: a training callback that must not stop the fit)."""
    import functools

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.__dict__.get("_view_closed"):
            if closed is None:
                return None
            raise ValueError(closed.format(type(self).__name__))
        return method(self, *args, **kwargs)

    wrapper._checks_closed = True  # type: ignore[attr-defined]
    return wrapper


#: The methods of a view guarded against use after ``close()``, and what a closed view does:
#: raise this message (``{}``: the class name), or (None) nothing, for the training callback.
_CLOSED_GUARDS: dict[str, str | None] = {
    "to_picture": "this {} is closed: it has no picture",
    "__call__": None,
}


class ViewBase(PictureMixin, LiveUpdateMixin):
    """Mixin of every somwidget view (see the module docstring for the contract).

    A view implements :meth:`refresh` and :meth:`to_picture`, registers what it observes with
    :meth:`_observe_selection`, the widgets it created but does not display with :meth:`_own`,
    widgets it shares with others with :meth:`_share`, and names the attributes holding the
    model and the data in ``_released_attributes`` (set to None by :meth:`close`).
    """

    #: Attributes set to None by close(): the SOM, the data and anything derived from them.
    _released_attributes: tuple[str, ...] = ()

    @property
    def max_rate_hz(self) -> float:  # type: ignore[override]
        """Most live refreshes per second as a training callback (default 15)."""
        return float(self.__dict__.get("_max_rate_hz", LiveUpdateMixin.max_rate_hz))

    @max_rate_hz.setter
    def max_rate_hz(self, value: float) -> None:
        # checked when set (at construction), not when training first calls the view
        self.__dict__["_max_rate_hz"] = check_positive("max_rate_hz", value)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # a call with a keyword the view does not take (HitMap(som, X, colour=...)) names the
        # view, the close matches and its parameters, not only Python's bare TypeError
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "_explains_keywords", False):
            explained = explained_signature()(init)
            explained._explains_keywords = True  # type: ignore[attr-defined]
            cls.__init__ = explained  # type: ignore[method-assign]
        own = cls.__dict__.get("refresh")
        if own is not None and not getattr(own, "_schedules_picture", False):
            cls.refresh = _closed_guard(  # type: ignore[method-assign]
                _scheduling_picture(own), "this {} is closed: build a new view to show the map again")
        for name, closed in _CLOSED_GUARDS.items():
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "_checks_closed", False):
                setattr(cls, name, _closed_guard(method, closed))

    #: The training callback (:class:`somwidget.widgets.live.LiveUpdateMixin`): a closed view
    #: ignores it, so a view closed while a fit still calls it never stops the training.
    __call__ = _closed_guard(LiveUpdateMixin.__call__, None)

    @property
    def _acks_frames(self) -> bool:  # type: ignore[override]
        """Canvas views (anywidgets with a ``frame`` trait) acknowledge every drawn frame."""
        return isinstance(self, anywidget.AnyWidget) and self.has_trait("frame")

    def _after_live_refresh(self, final: bool) -> None:
        """The picture outputs showing this view (its own, a Row's around it) follow live
        refreshes (throttled) and the final state (always)."""
        for shown in pictures_showing(self):
            shown.update_picture(force=final)

    # ---- state kept in __dict__, so that it works before and after the widget's __init__
    def _view_state(self, key: str, default: Callable[[], Any]) -> Any:
        d = self.__dict__
        if key not in d:
            d[key] = default()
        return d[key]

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has run."""
        return bool(self.__dict__.get("_view_closed", False))

    # ---- construction helpers ------------------------------------------------------------------
    @staticmethod
    def _ensure_initialized(som: Any, X: Any = None) -> Any:
        """``som``, initialised from ``X`` when it has no codebook yet.

        ``X`` is passed as given, so a DataFrame's column names become the SOM's feature names.

        Raises
        ------
        NotFittedError
            When the SOM is not initialised and no ``X`` was given.
        """
        if getattr(som, "codebook_", None) is None:
            if X is None:
                raise NotFittedError(
                    "som is not initialised: fit it first, call som.initialize(X), or pass X to the view"
                )
            som.initialize(X)
        return som

    def _observe_selection(self, selection: Any, handler: Callable[[Any], None]) -> None:
        """``selection.observe(handler, names="neurons")``, undone by :meth:`close`."""
        selection.observe(handler, names="neurons")
        self._view_state("_view_observers", list).append((selection, handler))

    def _own(self, *owned: Any) -> Any:
        """Register widgets this view created (closed with it); returns the first one."""
        self._view_state("_view_owned", list).extend(owned)
        return owned[0] if owned else None

    def _share(self, *shared: Any) -> None:
        """Register widgets this view uses but did not create (left open by :meth:`close`)."""
        self._view_state("_view_shared", list).extend(w for w in shared if w is not None)

    # ---- the view's contract -------------------------------------------------------------------
    def refresh(self, som: Any = None, **precomputed: Any) -> None:
        """Recompute from the SOM (or draw ``som`` from now on) and redraw."""
        raise NotImplementedError(f"{type(self).__name__} must implement refresh()")

    # ---- teardown ------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop observing, close every widget this view created, drop the SOM and the data.

        Widgets shared with other views (a selection passed in) stay open. Idempotent.
        """
        d = self.__dict__
        if d.get("_view_closed"):
            return
        d["_view_closed"] = True
        self._cancel_scheduled_picture()
        for selection, handler in d.pop("_view_observers", []):
            try:
                selection.unobserve(handler, names="neurons")
            except ValueError:  # already unobserved
                pass
        shared = d.pop("_view_shared", [])
        owned = d.pop("_view_owned", [])
        children = [v for v in self._trait_values.values()  # type: ignore[attr-defined]
                    if v is not self]
        roots = [w for v in [*owned, *children] for w in _widgets_in(v)]
        close_widgets(roots, keep=[*shared, self])
        for name in self._released_attributes:
            if name in d:
                d[name] = None
        super().close()  # type: ignore[misc]
