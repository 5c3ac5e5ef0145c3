"""somwidget: Self-Organizing Maps with live, linked views for JupyterLab."""

__version__ = "0.1.0"
