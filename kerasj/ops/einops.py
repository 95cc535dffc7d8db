"""`keras.ops.rearrange`: einops-style axis rearrangement (transpose, merge and split axes by name).

    >>> from kerasj import ops
    >>> ops.rearrange(jnp.zeros((2, 3, 4)), "b h w -> b (h w)").shape
    (2, 12)
"""
import math
import re

import jax.numpy as jnp

from kerasj.ops.core import _t

_TOKEN = re.compile(r"\(|\)|\w+|\S")


def _parse_side(text, pattern):
    """`"a (b c) d"` -> `[["a"], ["b", "c"], ["d"]]`."""
    groups, current = [], None
    for token in _TOKEN.findall(text):
        if token == "(":
            if current is not None:
                raise ValueError(f"rearrange: nested parentheses are not supported; received pattern={pattern!r}.")
            current = []
        elif token == ")":
            if current is None:
                raise ValueError(f"rearrange: unbalanced ')' in pattern={pattern!r}.")
            groups.append(current)
            current = None
        elif not re.fullmatch(r"\w+", token):
            raise ValueError(f"rearrange: unexpected {token!r} in pattern={pattern!r}; axes are names, optionally "
                             "grouped in parentheses.")
        elif current is not None:
            current.append(token)
        else:
            groups.append([token])
    if current is not None:
        raise ValueError(f"rearrange: unbalanced '(' in pattern={pattern!r}.")
    names = [name for group in groups for name in group]
    if len(set(names)) != len(names):
        raise ValueError(f"rearrange: an axis name appears twice on one side of pattern={pattern!r}.")
    return groups, names


def _axis_sizes(groups, shape, axes_lengths, pattern):
    sizes = {}
    for group, dim in zip(groups, shape):
        unknown = [name for name in group if name not in axes_lengths]
        if len(group) == 1 and unknown:
            sizes[group[0]] = dim
            continue
        if len(unknown) > 1:
            raise ValueError(f"rearrange: cannot infer the sizes of {unknown} in pattern={pattern!r}; give all but "
                             "one of them as keyword arguments.")
        known = math.prod(axes_lengths[name] for name in group if name in axes_lengths)
        if (dim % known if unknown else dim != known):
            raise ValueError(f"rearrange: axis ({' '.join(group)}) has size {dim}, which does not match the given "
                             f"lengths {({n: axes_lengths[n] for n in group if n in axes_lengths})}.")
        sizes.update({name: axes_lengths.get(name, dim // known) for name in group})
    return sizes


def rearrange(tensor, pattern, **axes_lengths):
    """Rearrange the axes of `tensor` by an einops pattern `"input axes -> output axes"`: names are reordered,
    names in parentheses are merged into one axis on the output side or split from one axis on the input side
    (give the split sizes as keyword arguments, all but one of each group).

        >>> rearrange(jnp.zeros((2, 6)), "b (h w) -> b w h", h=2).shape
        (2, 3, 2)
    """
    tensor = _t(tensor)
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise ValueError(f"rearrange: `pattern` must be a string 'inputs -> outputs'; received pattern={pattern!r}.")
    source, target = pattern.split("->")
    in_groups, in_names = _parse_side(source, pattern)
    out_groups, out_names = _parse_side(target, pattern)
    if len(in_groups) != tensor.ndim:
        raise ValueError(f"rearrange: pattern={pattern!r} names {len(in_groups)} input axes; received a tensor of "
                         f"shape {tensor.shape}.")
    if set(in_names) != set(out_names):
        raise ValueError(f"rearrange: both sides of pattern={pattern!r} must name the same axes; received "
                         f"{sorted(set(in_names) ^ set(out_names))} on one side only.")
    sizes = _axis_sizes(in_groups, tensor.shape, axes_lengths, pattern)
    tensor = jnp.reshape(tensor, [sizes[name] for name in in_names])
    tensor = jnp.transpose(tensor, [in_names.index(name) for name in out_names])
    return jnp.reshape(tensor, [math.prod(sizes[name] for name in group) for group in out_groups])
