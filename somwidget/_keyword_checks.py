"""Calls with arguments a signature does not take: an error naming the class and the valid ones.

Python's own ``TypeError`` for ``SOMClassifier(mapsize=(5, 5))`` reads
``_MapPredictor.__init__() got an unexpected keyword argument 'mapsize'``: it names an internal
base class and not what the call takes. :func:`explained_signature` wraps a constructor (or a
method) so that such a call raises ``TypeError: SOMClassifier() got an unexpected keyword
argument 'mapsize' ...; did you mean ...? Its parameters are ...`` instead, with the class the
user called.

The wrapper is transparent to scikit-learn's introspection: ``functools.wraps`` sets
``__wrapped__``, which :func:`inspect.signature` follows, so ``get_params``, ``clone``,
``set_params`` and ``sklearn.utils.estimator_checks`` see the original explicit signature (no
``**kwargs``). A good call costs nothing extra: the arguments are only matched against the
signature after the call raised a ``TypeError`` (which may also come from inside the function:
then it is raised as it was).

:func:`unknown_parameter_message` is the shared wording, also used by ``set_params``.
No import of other somwidget modules (a leaf).
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

__all__ = ["explained_signature", "invalid_parameter_message", "unknown_parameter_message"]

_F = TypeVar("_F", bound=Callable[..., Any])


def unknown_parameter_message(
    owner: str, name: str, valid: Sequence[str], hint: str | None = None
) -> str:
    """``owner`` does not take ``name``: the close matches among ``valid``, ``hint``, the list.

    Parameters
    ----------
    owner : str
        What was called, as the user wrote it (``"SOMClassifier()"``, ``"SOM.fit()"``).
    name : str
        The keyword it does not take.
    valid : sequence of str
        The keywords it takes.
    hint : str, optional
        A sentence added after the close matches (where the parameter belongs instead).
    """
    close = difflib.get_close_matches(name, list(valid), n=3, cutoff=0.6)
    parts = [f"{owner} got an unexpected keyword argument {name!r}"]
    if close:
        parts.append("did you mean " + " or ".join(repr(c) for c in close) + "?")
    if hint:
        parts.append(hint)
    text = "; ".join(parts)
    return text + ("" if text.endswith("?") else ".") + " Its parameters are: " + ", ".join(valid)


def invalid_parameter_message(
    owner: str, name: str, valid: Sequence[str], hint: str | None = None
) -> str:
    """``set_params``'s ``ValueError`` text (scikit-learn's opening): ``owner`` has no parameter
    ``name``; the valid ones, then the close matches among them and ``hint``."""
    text = f"Invalid parameter {name!r} for {owner}; valid parameters are {', '.join(valid)}"
    close = difflib.get_close_matches(name, list(valid), n=3, cutoff=0.6)
    if close:
        text += "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    return text + (f"; {hint}" if hint else "")


def _keyword_names(sig: inspect.Signature) -> list[str]:
    return [p.name for p in sig.parameters.values()
            if p.name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _positional_names(sig: inspect.Signature) -> list[str]:
    return [p.name for p in sig.parameters.values()
            if p.name != "self" and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def explained_signature(
    method: str | None = None, hint: Callable[[Any, str], str | None] | None = None
) -> Callable[[_F], _F]:
    """Decorate ``__init__`` (``method=None``) or a method so a call it cannot bind explains why.

    Parameters
    ----------
    method : str, optional
        The method's name as shown (``"fit"``: ``SOM.fit()``); None for a constructor
        (``SOMClassifier()``, the class of ``self``, a subclass included).
    hint : callable, optional
        ``hint(self, name)``: a sentence for an unknown keyword ``name`` (where it belongs
        instead), or None.
    """

    def decorate(func: _F) -> _F:
        sig = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return func(self, *args, **kwargs)
            except TypeError:
                try:
                    sig.bind(self, *args, **kwargs)
                except TypeError:
                    pass  # the call itself did not bind: explained below
                else:
                    raise  # raised inside the function: not about the arguments
            cls = type(self).__name__
            owner = f"{cls}()" if method is None else f"{cls}.{method}()"
            keywords = _keyword_names(sig)
            unknown = [k for k in kwargs if k not in sig.parameters]
            if unknown:
                extra = hint(self, unknown[0]) if hint is not None else None
                raise TypeError(unknown_parameter_message(owner, unknown[0], keywords, extra)
                                ) from None
            positional = _positional_names(sig)
            if len(args) > len(positional):
                rest = [k for k in keywords if k not in positional]
                later = f"; pass the others by keyword: {', '.join(rest)}" if rest else ""
                raise TypeError(
                    f"{owner} takes at most {len(positional)} positional argument(s) "
                    f"({', '.join(positional) or 'none'}) but {len(args)} were given{later}"
                ) from None
            given = [k for k in positional[: len(args)] if k in kwargs]
            if given:
                raise TypeError(f"{owner} got {given[0]!r} both as a positional and as a "
                                f"keyword argument") from None
            missing = [p.name for p in sig.parameters.values()
                       if p.name != "self" and p.default is p.empty
                       and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                       and p.name not in kwargs and p.name not in positional[: len(args)]]
            raise TypeError(f"{owner} is missing the required argument(s) "
                            f"{', '.join(repr(m) for m in missing)}") from None

        return wrapper  # type: ignore[return-value]

    return decorate
