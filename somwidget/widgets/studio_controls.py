"""The Studio's controls: the buttons and parameter widgets, and how a change reaches the trainer.

:class:`StudioControls` is mixed into :class:`~somwidget.widgets.studio.Studio` (it uses the
Studio's trainer, SOM, message box and commands). Training parameters (mode, epochs, radii,
learning rates, decay, neighbourhood, inhibition) apply from the next epoch or step; a switch of
mode or kernel moves the learning rates or radii to the new defaults when they still showed the
old ones. Map parameters (:data:`MAP_PARAMS`: lattice, size, initialisation, normalisation) need
a new map: before training starts they apply at once, afterwards they wait for Reset.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets

from ..lattice import LATTICES
from ..neighborhood import NEIGHBORHOODS
from ..normalization import NORMALIZATIONS
from ..schedules import DECAYS
from ..som import INITIALIZATION_ALIASES, INITIALIZATIONS
from ..trainer import MODES
from ..validation import check_choice
from .studio_pace import SPEEDS

__all__ = ["INHIBITION_MAX", "MAP_PARAMS", "StudioControls"]

#: The inhibition control's top: the largest value ``SOM(inhibition=...)`` accepts (it allows
#: [0, 1)), so the control holds any inhibition given and never clamps it.
INHIBITION_MAX = math.nextafter(1.0, 0.0)

#: SOM parameters that need a new map (applied by Reset once training has started).
MAP_PARAMS = ("lattice", "mapsize", "initialization", "normalization")

_BUTTONS = (
    ("play", "Play", "play", "Train until the last epoch (or Pause)"),
    ("pause", "Pause", "pause", "Pause after the current epoch"),
    ("step", "Step", "step-forward", "One epoch (batch) or one sample (online)"),
    ("reset", "Reset", "refresh", "New map: re-initialise with the chosen map parameters"),
    ("stop", "Stop", "stop", "Stop training (Reset to start again)"),
)


def _shown(value: float) -> float:
    """A radius or learning rate as its control shows it: 4 decimals, or 4 significant
    digits below 0.01 (so a small value is not shown, and trained, as 0)."""
    return round(value, 4) if abs(value) >= 0.01 else float(f"{value:.4g}")


class StudioControls:
    """The buttons and parameter controls of a Studio (a mixin; see the module docstring)."""

    trainer: Any
    som: Any
    pending: dict[str, Any]
    message: Any
    _before_extension: dict[str, Any] | None
    _syncing: bool
    _guard: Any
    _show_message: Any
    _update_progress: Any
    _apply_speed: Any
    started: bool

    def _build_controls(self, speed: str) -> None:
        """Build :attr:`buttons` and :attr:`controls`, follow their changes, and make the
        displayed defaults explicit training parameters."""
        som = self.som
        self.buttons: dict[str, widgets.Button] = {}
        for key, text, icon, tip in _BUTTONS:
            b = widgets.Button(description=text, icon=icon, tooltip=tip,
                               layout=widgets.Layout(width="90px"))
            b.add_class(f"somwidget-{key}")
            self.buttons[key] = b
        self.buttons["play"].button_style = "success"
        self.buttons["stop"].button_style = "danger"
        self.buttons["play"].on_click(lambda _: self._guard(self.play))
        self.buttons["pause"].on_click(lambda _: self._guard(self.pause))
        self.buttons["step"].on_click(lambda _: self._guard(self.trainer.step))
        self.buttons["stop"].on_click(lambda _: self._guard(self._stop_clicked))
        self.buttons["reset"].on_click(lambda _: self._guard(self.reset))

        p = self.trainer.resolved_params()
        short = widgets.Layout(width="190px")
        style = {"description_width": "95px"}
        c: dict[str, widgets.Widget] = {}
        c["mode"] = widgets.ToggleButtons(options=list(MODES), value=p["mode"], description="mode",
                                          style={"description_width": "40px", "button_width": "70px"})
        c["epochs"] = widgets.BoundedIntText(value=p["epochs"], min=1, max=max(100_000, p["epochs"]),
                                             description="epochs", layout=short, style=style)
        radii = [_shown(p["radius_start"]), _shown(p["radius_end"])]
        r_lo, r_hi = min(0.01, *radii), max(1e4, *radii)
        rates = [_shown(p["learning_rate_start"]), _shown(p["learning_rate_end"])]
        lr_lo = min(0.001, *rates)
        c["radius_start"] = widgets.BoundedFloatText(value=radii[0], min=r_lo, max=r_hi, step=0.5,
                                                     description="radius start", layout=short,
                                                     style=style)
        c["radius_end"] = widgets.BoundedFloatText(value=radii[1], min=r_lo, max=r_hi, step=0.1,
                                                   description="radius end", layout=short,
                                                   style=style)
        c["learning_rate_start"] = widgets.BoundedFloatText(
            value=rates[0], min=lr_lo, max=1.0, step=0.05, description="lr start",
            layout=short, style=style)
        c["learning_rate_end"] = widgets.BoundedFloatText(
            value=rates[1], min=lr_lo, max=1.0, step=0.01, description="lr end",
            layout=short, style=style)
        c["decay"] = widgets.Dropdown(options=list(DECAYS), value=p["decay"], description="decay",
                                      layout=short, style=style)
        c["neighborhood"] = widgets.Dropdown(options=list(NEIGHBORHOODS), value=p["neighborhood"],
                                             description="neighbourhood",
                                             layout=widgets.Layout(width="215px"),
                                             style={"description_width": "110px"})
        c["inhibition"] = widgets.BoundedFloatText(
            value=p["inhibition"], min=0.0, max=INHIBITION_MAX, step=0.05, description="inhibition",
            tooltip="Mexican hat only: how far its negative lobe pushes prototypes apart (0 = none)",
            disabled=p["neighborhood"] != "mexican_hat", layout=short, style=style)
        rows, cols = som.mapsize_
        lattice_now = som.lattice_.kind
        c["lattice"] = widgets.Dropdown(options=list(LATTICES), value=lattice_now,
                                        description="lattice", layout=short, style=style)
        c["rows"] = widgets.BoundedIntText(value=rows, min=1, max=max(500, rows),
                                           description="rows", layout=short, style=style)
        c["cols"] = widgets.BoundedIntText(value=cols, min=1, max=max(500, cols),
                                           description="columns", layout=short, style=style)
        c["initialization"] = widgets.Dropdown(
            options=list(INITIALIZATIONS), value=self._canonical_init(), description="initialisation",
            layout=short, style=style)
        c["normalization"] = widgets.Dropdown(
            options=list(NORMALIZATIONS), value=som.normalizer_.name, description="normalisation",
            layout=short, style=style)
        c["speed"] = widgets.Dropdown(options=list(SPEEDS), value=check_choice("speed", speed, SPEEDS),
                                      description="speed", layout=widgets.Layout(width="260px"),
                                      style={"description_width": "45px"},
                                      tooltip="Epochs per second, or slow motion: one sample at a time")
        for key, w in c.items():
            w.add_class(f"somwidget-{key.replace('_', '-')}")
        self.controls = c
        for key in ("mode", "epochs", "radius_start", "radius_end", "learning_rate_start",
                    "learning_rate_end", "decay", "neighborhood", "inhibition"):
            c[key].observe(self._on_training_param, names="value")
        for key in ("lattice", "rows", "cols", "initialization", "normalization"):
            c[key].observe(self._on_map_param, names="value")
        c["speed"].observe(lambda change: self._apply_speed(), names="value")
        # the displayed defaults become explicit parameters (the values shown, so that the
        # controls and the training agree)
        self.trainer.params.update(**{k: c[k].value for k in ("radius_start", "radius_end",
                                                              "learning_rate_start",
                                                              "learning_rate_end")},
                                   neighborhood=p["neighborhood"], inhibition=p["inhibition"])

    def _canonical_init(self) -> str:
        return check_choice("initialization", self.som.initialization, INITIALIZATIONS,
                            INITIALIZATION_ALIASES)

    # ----------------------------------------------------------- parameters
    def _on_training_param(self, change: dict) -> None:
        if self._syncing:
            return
        key = next(k for k, w in self.controls.items() if w is change["owner"])
        try:
            if key == "mode":
                self._switch_mode_defaults(change["old"], change["new"])
            elif key == "neighborhood":
                self._switch_kernel_defaults(change["old"], change["new"])
            self.trainer.params.update(**{key: change["new"]})
            if key == "neighborhood":
                self.controls["inhibition"].disabled = change["new"] != "mexican_hat"
            if key == "mode":
                self._apply_speed(quiet=True)
            if self.started:
                self._show_message(f"{key.replace('_', ' ')} = {change['new']}: applies from the "
                                   "next epoch (or step)")
        except (ValueError, TypeError) as exc:
            self._show_message(str(exc), kind="error")
        self._update_progress(None)

    def _switch_mode_defaults(self, old: str, new: str) -> None:
        """Keep the learning rates at the new mode's defaults if they were the old mode's."""
        t = self.trainer
        self._move_if_default(("learning_rate_start", "learning_rate_end"),
                              tuple(_shown(v) for v in t.default_learning_rates(old)),
                              tuple(_shown(v) for v in t.default_learning_rates(new)))

    def _switch_kernel_defaults(self, old: str, new: str) -> None:
        """Keep the radii at the new kernel's defaults if they were the old kernel's
        (:meth:`SOM.default_radii`: wider for the kernels that vanish at ``d = r``)."""
        self._move_if_default(("radius_start", "radius_end"),
                              tuple(_shown(v) for v in self.som.default_radii(old)),
                              tuple(_shown(v) for v in self.som.default_radii(new)))

    def _move_if_default(self, keys: tuple[str, str], was: Sequence[float],
                         now: Sequence[float]) -> None:
        """Show and use ``now`` in the two controls ``keys`` if they still show ``was``: defaults
        follow a switch of mode or kernel, values the user chose stay."""
        c = self.controls
        if all(abs(c[k].value - v) < 1e-9 for k, v in zip(keys, was, strict=True)):
            self._syncing = True
            try:
                for k, v in zip(keys, now, strict=True):
                    c[k].value = v
            finally:
                self._syncing = False
            self.trainer.params.update(**dict(zip(keys, now, strict=True)))

    def _map_changes(self) -> dict[str, Any]:
        c = self.controls
        want = {
            "lattice": c["lattice"].value,
            "mapsize": (int(c["rows"].value), int(c["cols"].value)),
            "initialization": c["initialization"].value,
            "normalization": c["normalization"].value,
        }
        now = {
            "lattice": self.som.lattice_.kind,
            "mapsize": tuple(self.som.mapsize_),
            "initialization": self._canonical_init(),
            "normalization": self.som.normalizer_.name,
        }
        return {k: v for k, v in want.items() if v != now[k]}

    def _on_map_param(self, change: dict) -> None:
        if self._syncing:
            return
        self.pending = self._map_changes()
        if not self.pending:
            self.message.value = ""
            return
        if not self.started:
            self._guard(self.reset)
            return
        names = ", ".join(sorted(self.pending))
        self._show_message(f"{names} changed: a new map is needed. Press Reset to apply "
                           "(the training so far will be discarded).", kind="warn")

    def _sync_map_controls(self) -> None:
        c = self.controls
        self._syncing = True
        try:
            c["lattice"].value = self.som.lattice_.kind
            c["rows"].value, c["cols"].value = self.som.mapsize_
            c["initialization"].value = self._canonical_init()
            c["normalization"].value = self.som.normalizer_.name
            p = self.trainer.resolved_params()
            c["rows"].max, c["cols"].max = max(500, c["rows"].value), max(500, c["cols"].value)
            c["radius_start"].value = _shown(p["radius_start"])
            c["radius_end"].value = _shown(p["radius_end"])
        finally:
            self._syncing = False

    def _undo_extension(self) -> None:
        """Back to the schedule chosen before Play extended it (:meth:`_extend`)."""
        before, self._before_extension = self._before_extension, None
        if before is None:
            return
        self.trainer.params.update(**before)
        self._syncing = True
        try:
            for key, value in before.items():
                self.controls[key].value = value
        finally:
            self._syncing = False
