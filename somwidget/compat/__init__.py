"""The documented APIs of somwidget's two seed libraries, GEMA and somnium, on somwidget.

A user of either switches by changing one import line::

    from GEMA import Map, Classification, Visualization        # before
    from somwidget.compat.gema import Map, Classification, Visualization

    from somnium.core import SOM                                 # before
    from somwidget.compat.somnium import SOM                     # or ...somnium.core
    from somnium.visualization import plot_umatrix               # before
    from somwidget.compat.somnium.visualization import plot_umatrix

Names, parameters, defaults and attribute shapes follow each library's README; training,
metrics and pictures are somwidget's (the :class:`~somwidget.SOM` estimator and its views), so
the known bugs of the originals (``docs/seeds.md`` lists each difference) are not carried over.
Importing these modules does not import ipywidgets: the plotting functions import the views
when they are called.
"""
