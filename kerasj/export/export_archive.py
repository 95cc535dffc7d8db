"""ExportArchive: a TensorFlow SavedModel of chosen endpoints, for serving without Python model code.

Each endpoint is the JAX function the model computes, converted by `jax.experimental.jax2tf` (StableHLO inside
the graph) with a free batch size. The weights of tracked layers become `tf.Variable`s that the endpoints read,
so the SavedModel holds them as variables rather than constants (a TF program can read or fine-tune them).
"""
import copy
import inspect
import os

from kerasj.export.dependencies import require
from kerasj.export.signatures import map_specs, polymorphic_signature, to_tf_spec
from kerasj.utils import io_utils
from kerasj.variables import Variable, pure

_ENDPOINT_OPTIONS = ("jax2tf_kwargs", "is_static")


class ExportArchive:
    """Writes SavedModel artifacts for inference: `track` the layers or models whose weights the endpoints
    use, `add_endpoint` each function to serve, then `write_out` (as `keras.export.ExportArchive`).

    Example:

    ```python
    archive = kerasj.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", model.call,
                         input_signature=[kerasj.InputSpec(shape=(None, 3), dtype="float32")])
    archive.add_endpoint("call_training", lambda x: model(x, training=True),
                         input_signature=[kerasj.InputSpec(shape=(None, 3), dtype="float32")])
    archive.write_out("path/to/location")

    reloaded = tf.saved_model.load("path/to/location")
    outputs = reloaded.serve(inputs)
    ```

    The revived object also has `variables`, `trainable_variables` and `non_trainable_variables` (of what was
    tracked) and one attribute per `add_variable_collection`. Endpoints read only the Variables of tracked
    layers as variables; any other Variable they read is baked in as a constant.
    """

    def __init__(self, format="saved_model", **kwargs):
        if format != "saved_model":
            raise ValueError(f"Unsupported format: {format!r}. kerasj's ExportArchive writes format="
                             "'saved_model' only.")
        if kwargs:
            raise TypeError(f"ExportArchive() got unexpected keyword arguments: {sorted(kwargs)}")
        self._tf = require("tensorflow", "kerasj.export.ExportArchive")
        self._tf_trackable = self._tf.__internal__.tracking.AutoTrackable()
        self._tf_trackable.variables = []
        self._tf_trackable.trainable_variables = []
        self._tf_trackable.non_trainable_variables = []
        self._tracked_trainable = []  # kerasj Variables, in the order the endpoints receive them
        self._tracked_non_trainable = []
        self._tf_variables = {}  # id(kerasj Variable) -> its tf.Variable
        self._endpoint_names = []

    @property
    def variables(self):
        return self._tf_trackable.variables

    @property
    def trainable_variables(self):
        return self._tf_trackable.trainable_variables

    @property
    def non_trainable_variables(self):
        return self._tf_trackable.non_trainable_variables

    def track(self, resource):
        """Track the variables of a layer or model (so endpoints read them as variables), or a TensorFlow
        trackable resource such as a lookup table an endpoint uses.

        >>> archive.track(model)
        """
        tf = self._tf
        if hasattr(resource, "trainable_variables") and hasattr(resource, "non_trainable_variables"):
            if not resource.built:
                raise ValueError("The layer provided has not yet been built. It must be built before export.")
            for variables, tracked, tf_list in (
                    (resource.trainable_variables, self._tracked_trainable, "trainable_variables"),
                    (resource.non_trainable_variables, self._tracked_non_trainable, "non_trainable_variables")):
                new = [v for v in variables if id(v) not in self._tf_variables]
                tracked.extend(new)
                getattr(self._tf_trackable, tf_list).extend(self._to_tf_variable(v) for v in new)
            self._tf_trackable.variables = (list(self._tf_trackable.trainable_variables)
                                            + list(self._tf_trackable.non_trainable_variables))
        elif isinstance(resource, tf.__internal__.tracking.Trackable):
            if not hasattr(self._tf_trackable, "_tracked"):
                self._tf_trackable._tracked = []
            self._tf_trackable._tracked.append(resource)
        else:
            raise ValueError("Invalid resource type. Expected a kerasj `Layer` or `Model` or a TensorFlow "
                             f"`Trackable` object. Received object {resource!r} of type "
                             f"'{type(resource).__name__}'.")

    def _to_tf_variable(self, variable):
        if id(variable) not in self._tf_variables:
            self._tf_variables[id(variable)] = self._tf.Variable(
                variable.numpy(), dtype=variable.dtype, trainable=variable.trainable, name=variable.name)
        return self._tf_variables[id(variable)]

    def add_endpoint(self, name, fn, input_signature=None, **kwargs):
        """Register `fn` as the serving endpoint `name` and return the `tf.function` made of it.

        `input_signature` lists one spec (or nested structure of specs) per positional argument of `fn`:
        `kerasj.InputSpec`, `tf.TensorSpec`, `KerasTensor` or arrays. Without it, `fn` must be a `tf.function`
        already called once. Options: `jax2tf_kwargs` (a dict for `jax2tf.convert`; `polymorphic_shapes`
        defaults to a free batch size) and `is_static=True` (bake the weights in as constants, for a function
        that updates no state).

        >>> archive.add_endpoint("serve", model.call,
        ...                      input_signature=[kerasj.InputSpec(shape=(None, 3), dtype="float32")])
        """
        tf = self._tf
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"The endpoint `name` must be a string usable as a Python attribute name. "
                             f"Received: name={name!r}")
        if name in self._endpoint_names:
            raise ValueError(f"Endpoint name '{name}' is already taken.")
        unknown = sorted(set(kwargs) - set(_ENDPOINT_OPTIONS))
        if unknown:
            raise ValueError(f"add_endpoint() got unexpected keyword arguments {unknown}; the accepted options "
                             f"are {list(_ENDPOINT_OPTIONS)}.")
        if input_signature is None:
            if not isinstance(fn, tf.types.experimental.GenericFunction):
                raise ValueError(
                    "If the `fn` argument provided is not a `tf.function`, you must provide an "
                    "`input_signature` argument to specify the shape and dtype of the function arguments. "
                    "Example:\n\narchive.add_endpoint(\n    name='call',\n    fn=model.call,\n    input_signature=["
                    "kerasj.InputSpec(shape=(None, 224, 224, 3), dtype='float32')],\n)")
            if not fn._list_all_concrete_functions():
                raise ValueError(f"The provided tf.function '{fn}' has never been called. To specify the expected "
                                 "shape and dtype of the function's arguments, either call it once, or pass an "
                                 "`input_signature` argument to `add_endpoint()`.")
            decorated = fn
        else:
            if not isinstance(input_signature, (list, tuple)):
                raise ValueError("`input_signature` must be a list with one entry per positional argument of "
                                 f"`fn`. Received: input_signature={input_signature!r}")
            signature = [map_specs(lambda s: to_tf_spec(tf, s), entry) for entry in input_signature]
            decorated = self._convert(fn, signature, copy.copy(kwargs.get("jax2tf_kwargs")) or {},
                                      bool(kwargs.get("is_static", False)))
        setattr(self._tf_trackable, name, decorated)
        self._endpoint_names.append(name)
        return decorated

    def _convert(self, fn, signature, jax2tf_kwargs, is_static):
        """`fn` as a `tf.function` over `signature`: the JAX computation converted by jax2tf, fed the tracked
        tf.Variables, writing back the non-trainable values it updates (e.g. seed states)."""
        tf = self._tf
        jax2tf = require("jax.experimental.jax2tf", "kerasj.export.ExportArchive")
        if "polymorphic_shapes" not in jax2tf_kwargs:
            jax2tf_kwargs["polymorphic_shapes"] = polymorphic_signature(signature)

        if is_static:
            # Variables read as constants; a write (e.g. a seed state) stays inside the scope and is dropped.
            converted = jax2tf.convert(lambda *args: pure(fn, [])([], *args)[1], **jax2tf_kwargs)

            def serving_fn(*args):
                return converted(*args)
        else:
            def serving_fn(*args):
                # The tracked Variables are read when the function is traced (at the first call or at
                # write_out), so layers tracked after add_endpoint are fed too.
                trainable, non_trainable = list(self._tracked_trainable), list(self._tracked_non_trainable)
                run = pure(fn, trainable + non_trainable)

                def stateless(values, *inputs):
                    new_values, outputs = run(values, *inputs)
                    return outputs, new_values[len(trainable):]

                options = dict(jax2tf_kwargs)
                options["polymorphic_shapes"] = [
                    [f"({', '.join(str(d) for d in v.shape)})" for v in trainable + non_trainable],
                    *options["polymorphic_shapes"]]
                tf_variables = [self._tf_variables[id(v)] for v in trainable + non_trainable]
                outputs, new_non_trainable = jax2tf.convert(stateless, **options)(tf_variables, *args)
                for variable, value in zip(tf_variables[len(trainable):], new_non_trainable):
                    variable.assign(tf.cast(value, variable.dtype))
                return outputs

        serving_fn.__signature__ = _positional_signature(fn, len(signature))
        return tf.function(serving_fn, input_signature=signature, autograph=False)

    def track_and_add_endpoint(self, name, resource, input_signature, **kwargs):
        """`track(resource)`, then `add_endpoint(name, resource.__call__, input_signature, **kwargs)`.

        >>> archive.track_and_add_endpoint("serve", model, [kerasj.InputSpec(shape=(None, 3), dtype="float32")])
        """
        self.track(resource)
        return self.add_endpoint(name, resource.__call__, input_signature, **kwargs)

    def add_variable_collection(self, name, variables):
        """Save `variables` (kerasj or TensorFlow Variables) as the attribute `name` of the revived object.
        Variables the archive already tracks are the same tf.Variables the endpoints read.

        >>> archive.add_variable_collection("optimizer_variables", model.optimizer.variables)
        """
        tf = self._tf
        if not isinstance(variables, (list, tuple, set)):
            raise ValueError(f"Expected `variables` to be a list/tuple/set. Received instead object of type "
                             f"'{type(variables).__name__}'.")
        wrong = sorted({type(v).__name__ for v in variables if not isinstance(v, (Variable, tf.Variable))})
        if wrong:
            raise ValueError(f"Expected all elements in `variables` to be kerasj or TensorFlow Variables. Found "
                             f"instead the following types: {wrong}")
        setattr(self._tf_trackable, name,
                [v if isinstance(v, tf.Variable) else self._to_tf_variable(v) for v in variables])

    def write_out(self, filepath, options=None, verbose=True):
        """Write the SavedModel to the directory `filepath`. Every endpoint becomes a serving signature, and
        the first one is also `serving_default` (TF-Serving needs it) unless one has that name.

        `options` is a `tf.saved_model.SaveOptions`; `verbose` prints the endpoints and their signatures.

        >>> archive.write_out("path/to/location")
        """
        tf = self._tf
        if not self._endpoint_names:
            raise ValueError("No endpoints have been set yet. Call add_endpoint().")
        concrete = {name: _concrete_function(getattr(self._tf_trackable, name)) for name in self._endpoint_names}
        # Variables an endpoint reads that nothing tracked (e.g. inside a user's tf.function) are saved too.
        seen = {id(v) for v in self._tf_trackable.variables}
        self._tf_trackable._all_variables = list(self._tf_trackable.variables) + [
            v for fn in concrete.values() for v in fn.variables if id(v) not in seen]
        signatures = {name: getattr(self._tf_trackable, name) if _has_signature(getattr(self._tf_trackable, name))
                      else concrete[name] for name in self._endpoint_names}
        if "serving_default" not in signatures:
            signatures["serving_default"] = signatures[self._endpoint_names[0]]
        tf.saved_model.save(self._tf_trackable, os.fspath(filepath), signatures=signatures, options=options)
        if verbose:
            endpoints = "\n\n".join(_describe(name, concrete[name]) for name in self._endpoint_names)
            io_utils.print_msg(f"Saved artifact at '{os.fspath(filepath)}'. The following endpoints are "
                               f"available:\n\n{endpoints}")


def _positional_signature(fn, count):
    """The first `count` positional parameters of `fn` (up to a *args), so that the tf.function names its
    arguments as `fn` does (TF derives the signature's input names from them)."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    kept = []
    for parameter in parameters:
        if len(kept) == count:
            break
        if parameter.kind == parameter.VAR_POSITIONAL:
            kept.append(parameter)
            break
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            kept.append(parameter.replace(default=parameter.empty))
    if len(kept) < count and not any(p.kind == p.VAR_POSITIONAL for p in kept):
        kept = [inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL)]
    return inspect.Signature(kept)


def _has_signature(fn):
    return getattr(fn, "input_signature", None) is not None


def _concrete_function(fn):
    if _has_signature(fn):
        return fn.get_concrete_function()
    return fn._list_all_concrete_functions()[0]


def _describe(name, concrete):
    lines = concrete.pretty_printed_signature(verbose=True).split("\n")
    return "\n".join([f"* Endpoint '{name}'"] + lines[1:])
