"""The "TensorFlow 2.0 + Keras overview for deep learning researchers" notebook (seed 001), end to end in kerasj.

Every section of the notebook is one function below, written as close to the original as kerasj allows: the
same variable names and structure, with these translations:

    tf.constant / tf.ones / tf.square ...   ->  jax.numpy (jnp.array, jnp.ones, jnp.square, ...)
    tf.random.normal                        ->  kerasj.random.normal
    tf.Variable                             ->  kerasj.Variable
    with tf.GradientTape() as tape: ...     ->  kerasj.value_and_grad(fn, variables) / kerasj.grad(...)
    @tf.function                            ->  @kerasj.function
    tf.data.Dataset...shuffle().batch()     ->  BatchedDataset (a few lines of numpy, below)
    tf.keras.datasets.mnist.load_data()     ->  mnist_like_data() (generated, so the script runs offline)

Run: python examples/research_overview.py [--quick]
"""
import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

import kerasj as keras
from kerasj import Sequential, layers
from kerasj.layers import Layer


# ---------------------------------------------------------------------------------------------------------
# Data helpers (what tf.data and keras.datasets did in the notebook)
# ---------------------------------------------------------------------------------------------------------
class BatchedDataset:
    """`tf.data.Dataset.from_tensor_slices(arrays).shuffle(...).batch(batch_size)` over numpy arrays.

    Iterating yields tuples of numpy batches (the last one may be short); with `shuffle=True` every pass
    draws a new order, as a tf.data shuffle does on each epoch.

        >>> dataset = BatchedDataset((features, labels), batch_size=256, shuffle=True)
        >>> for step, (x, y) in enumerate(dataset): ...
    """

    def __init__(self, arrays, batch_size, shuffle=False, seed=0):
        self.arrays = tuple(np.asarray(a) for a in arrays)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self._rng = np.random.default_rng(seed)

    def __len__(self):
        return -(-len(self.arrays[0]) // self.batch_size)

    def __iter__(self):
        n = len(self.arrays[0])
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, n, self.batch_size):
            index = order[start:start + self.batch_size]
            yield tuple(a[index] for a in self.arrays)


def mnist_like_data(num_samples, seed=0):
    """MNIST-shaped data: `(x, y)` with x of shape (num_samples, 28, 28) uint8 and y int labels 0-9.

    Each class is a fixed random stroke pattern plus pixel noise, so a 784-256-256-10 MLP learns it; one label
    in ten is replaced by a random one, so, as on real MNIST, a big model soon starts to overfit.
    """
    rng = np.random.default_rng(seed)
    prototypes = (np.random.default_rng(1234).random((10, 28, 28)) < 0.15).astype(np.float32)
    y = rng.integers(0, 10, num_samples)
    x = prototypes[y] * rng.uniform(0.3, 0.8, (num_samples, 1, 1)) + rng.normal(0, 0.5, (num_samples, 28, 28))
    y = np.where(rng.random(num_samples) < 0.1, rng.integers(0, 10, num_samples), y)
    return (np.clip(x, 0, 1) * 255).astype(np.uint8), y.astype(np.uint8)


def mnist_like_splits(num_train, num_test):
    """`(x_train, y_train), (x_test, y_test)`, like `tf.keras.datasets.mnist.load_data()`."""
    return mnist_like_data(num_train, seed=1), mnist_like_data(num_test, seed=2)


# ---------------------------------------------------------------------------------------------------------
# Part 1: TensorFlow basics
# ---------------------------------------------------------------------------------------------------------
def tensors_and_variables(quick=False):
    """Constant tensors, random tensors, Variables with assign / assign_add, and math."""
    x = jnp.array([[5, 2], [1, 3]])
    print(x)
    print(np.asarray(x))                      # x.numpy()
    print('dtype:', x.dtype)
    print('shape:', x.shape)
    print(jnp.ones(shape=(2, 1)))
    print(jnp.zeros(shape=(2, 1)))

    print(keras.random.normal(shape=(2, 2), mean=0., stddev=1.))
    # tf.random.uniform(..., dtype='int32'): Keras 3 spells this keras.random.randint, which kerasj.random does
    # not have yet (and kerasj.random.uniform, like Keras 3's, only draws floats); numpy draws the integers.
    print(np.random.default_rng(0).integers(0, 10, size=(2, 2)).astype('int32'))

    initial_value = keras.random.normal(shape=(2, 2))
    a = keras.Variable(initial_value)
    print(a)

    new_value = keras.random.normal(shape=(2, 2))
    a.assign(new_value)
    for i in range(2):
        for j in range(2):
            assert a[i, j] == new_value[i, j]

    added_value = keras.random.normal(shape=(2, 2))
    a.assign_add(added_value)
    for i in range(2):
        for j in range(2):
            assert a[i, j] == new_value[i, j] + added_value[i, j]
    print(a)

    # Math: exactly like numpy.
    a = keras.random.normal(shape=(2, 2))
    b = keras.random.normal(shape=(2, 2))
    c = a + b
    d = jnp.square(c)
    e = jnp.exp(d)
    print('e = exp((a + b)^2):\n', e)
    return {"x": x, "new_value": new_value, "added_value": added_value, "a": a, "b": b, "e": e}


def gradients(quick=False):
    """Gradients of c = sqrt(a^2 + b^2) with respect to a, then the second derivative by nesting."""
    a = keras.random.normal(shape=(2, 2))
    b = keras.random.normal(shape=(2, 2))

    # tape.watch(a) on a plain tensor: in JAX a plain array is differentiated by making it the argument.
    # tape.gradient of a non-scalar target differentiates the sum of its elements; kerasj.grad, like jax.grad,
    # wants a scalar, so the sum is written out.
    dc_da = jax.grad(lambda a: jnp.sum(jnp.sqrt(jnp.square(a) + jnp.square(b))))(a)
    print(dc_da)

    # Variables are watched automatically: kerasj.grad differentiates with respect to the Variables listed.
    a = keras.Variable(a)

    def compute_c():
        return jnp.sqrt(jnp.square(a) + jnp.square(b))

    dc_da, = keras.grad(lambda: jnp.sum(compute_c()), [a])()
    print(dc_da)

    # Nesting gradient computations gives higher-order derivatives (the outer_tape / tape pair).
    def first_derivative():
        dc_da, = keras.grad(lambda: jnp.sum(compute_c()), [a])()
        return jnp.sum(dc_da)

    d2c_da2, = keras.grad(first_derivative, [a])()
    print(d2c_da2)
    return {"a": a.numpy(), "b": np.asarray(b), "dc_da": dc_da, "d2c_da2": d2c_da2}


def linear_regression(quick=False):
    """Linear regression by hand on a batched dataset, eager and then compiled with kerasj.function."""
    input_dim = 2
    output_dim = 1
    learning_rate = 0.01

    # Weight matrix.
    w = keras.Variable(keras.random.uniform(shape=(input_dim, output_dim)))
    # Bias vector.
    b = keras.Variable(jnp.zeros(shape=(output_dim,)))
    initial_w = w.numpy().copy()

    def compute_predictions(features):
        return jnp.matmul(features, w) + b

    def compute_loss(labels, predictions):
        return jnp.mean(jnp.square(labels - predictions))

    def train_on_batch(x, y):
        def forward():
            predictions = compute_predictions(x)
            return compute_loss(y, predictions)
        loss, (dloss_dw, dloss_db) = keras.value_and_grad(forward, [w, b])()
        w.assign_sub(learning_rate * dloss_dw)
        b.assign_sub(learning_rate * dloss_db)
        return loss

    # Synthetic data: two Gaussian blobs, labels 0 and 1.
    num_samples = 1000 if quick else 10000
    rng = np.random.default_rng(0)
    negative_samples = rng.multivariate_normal(mean=[0, 3], cov=[[1, 0.5], [0.5, 1]], size=num_samples)
    positive_samples = rng.multivariate_normal(mean=[3, 0], cov=[[1, 0.5], [0.5, 1]], size=num_samples)
    features = np.vstack((negative_samples, positive_samples)).astype(np.float32)
    labels = np.vstack((np.zeros((num_samples, 1), dtype='float32'),
                        np.ones((num_samples, 1), dtype='float32')))

    # Shuffle the data. (The notebook used random.Random(1337).shuffle on each array; on a 2-D numpy array
    # Python's shuffle swaps row *views* and duplicates rows, so one shared permutation is used instead.)
    permutation = np.random.RandomState(1337).permutation(len(features))
    features, labels = features[permutation], labels[permutation]

    # A batched, shuffled dataset for easy iteration.
    dataset = BatchedDataset((features, labels), batch_size=256, shuffle=True, seed=1024)

    epochs = 5 if quick else 10
    epoch_losses = []
    for epoch in range(epochs):
        for step, (x, y) in enumerate(dataset):
            loss = train_on_batch(x, y)
        epoch_losses.append(float(loss))
        print('Epoch %d: last batch loss = %.4f' % (epoch, float(loss)))

    predictions = compute_predictions(features)
    accuracy = float(np.mean((np.asarray(predictions[:, 0]) > 0.5) == (labels[:, 0] > 0.5)))
    print('accuracy of predictions > 0.5: %.4f' % accuracy)
    trained_w, trained_b = w.numpy().copy(), b.numpy().copy()

    # How fast is it? Two untimed warm-up epochs first, for both versions, so the numbers are steady-state
    # per-epoch costs: kerasj.function runs the first call of each input shape eagerly (to find the Variables
    # it touches) and compiles on the second; the short last batch is a second shape.
    timing_epochs = 3 if quick else 20

    def time_per_epoch(train_on_batch):
        for warm_up_epoch in range(2):
            for x, y in dataset:
                train_on_batch(x, y)
        t0 = time.time()
        for epoch in range(timing_epochs):
            for step, (x, y) in enumerate(dataset):
                loss = train_on_batch(x, y)
        float(loss)  # wait for the last (asynchronously dispatched) step
        return (time.time() - t0) / timing_epochs

    eager_time = time_per_epoch(train_on_batch)
    print('Time per epoch, eager: %.4f s' % (eager_time,))

    # Compile the training function: literally add the decorator.
    @keras.function
    def train_on_batch(x, y):
        def forward():
            predictions = compute_predictions(x)
            return compute_loss(y, predictions)
        loss, (dloss_dw, dloss_db) = keras.value_and_grad(forward, [w, b])()
        w.assign_sub(learning_rate * dloss_dw)
        b.assign_sub(learning_rate * dloss_db)
        return loss

    compiled_time = time_per_epoch(train_on_batch)
    print('Time per epoch, kerasj.function: %.4f s (%.1fx faster)' % (compiled_time, eager_time / compiled_time))
    return {"initial_w": initial_w, "w": trained_w, "b": trained_b, "features": features, "labels": labels,
            "epoch_losses": epoch_losses, "accuracy": accuracy, "eager_time": eager_time,
            "compiled_time": compiled_time, "train_on_batch": train_on_batch, "variables": (w, b),
            "dataset_passes": epochs + 2 * (2 + timing_epochs)}


# ---------------------------------------------------------------------------------------------------------
# Part 2: the Keras API
# ---------------------------------------------------------------------------------------------------------
class Linear(Layer):
    """y = w.x + b, with weights created lazily by `build` from the first input's shape."""

    def __init__(self, units=32):
        super(Linear, self).__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer='random_normal',
                                 trainable=True)
        self.b = self.add_weight(shape=(self.units,),
                                 initializer='random_normal',
                                 trainable=True)

    def call(self, inputs):
        return jnp.matmul(inputs, self.w) + self.b


def linear_layer_with_weights_in_init():
    """The first Linear of the notebook: weights created in __init__ from an explicit input_dim."""

    class Linear(Layer):
        """y = w.x + b"""

        def __init__(self, units=32, input_dim=32):
            super(Linear, self).__init__()
            w_init = keras.initializers.RandomNormal()       # tf.random_normal_initializer()
            # keras.Variable (as in Keras 3) takes the initial value as its first argument, `initializer`.
            self.w = keras.Variable(w_init(shape=(input_dim, units), dtype='float32'),
                                    trainable=True)
            b_init = keras.initializers.Zeros()              # tf.zeros_initializer()
            self.b = keras.Variable(b_init(shape=(units,), dtype='float32'),
                                    trainable=True)

        def call(self, inputs):
            return jnp.matmul(inputs, self.w) + self.b

    # Instantiate our layer.
    linear_layer = Linear(4, 2)

    # Layers behave like functions: call one on some data.
    y = linear_layer(jnp.ones((2, 2)))
    assert y.shape == (2, 4)

    # Weights are tracked automatically under the `weights` attribute.
    assert linear_layer.weights == [linear_layer.w, linear_layer.b]
    print('Linear(4, 2): y.shape =', y.shape, '| weights:', [v.shape for v in linear_layer.weights])
    return linear_layer


def linear_layer(quick=False):
    """The Layer base class: a Linear layer with weights made in __init__, then the lazy-build version."""
    eager_linear_layer = linear_layer_with_weights_in_init()

    # The lazy Linear (defined at module level): `build(input_shape)` creates the weights on the first call.
    linear_layer = Linear(4)
    y = linear_layer(jnp.ones((2, 2)))
    assert len(linear_layer.weights) == 2
    print('lazy Linear(4): built =', linear_layer.built, '| weights:', [v.shape for v in linear_layer.weights])
    return {"eager_layer": eager_linear_layer, "lazy_layer": linear_layer, "y": y}


class ComputeSum(Layer):
    """Returns the sum of its inputs, accumulated over calls."""

    def __init__(self, input_dim):
        super(ComputeSum, self).__init__()
        # A non-trainable weight.
        self.total = keras.Variable(jnp.zeros((input_dim,)), trainable=False)

    def call(self, inputs):
        self.total.assign_add(jnp.sum(inputs, axis=0))
        return self.total


def trainable_and_non_trainable_weights(quick=False):
    """ComputeSum keeps a running total in a non-trainable weight."""
    my_sum = ComputeSum(2)
    x = jnp.ones((2, 2))

    y = my_sum(x)
    print(np.asarray(y))  # [2. 2.]
    first = np.asarray(y).copy()

    y = my_sum(x)
    print(np.asarray(y))  # [4. 4.]

    assert my_sum.weights == [my_sum.total]
    assert my_sum.non_trainable_weights == [my_sum.total]
    assert my_sum.trainable_weights == []
    return {"first": first, "second": np.asarray(y), "layer": my_sum}


class MLP(Layer):
    """A simple stack of Linear layers."""

    def __init__(self):
        super(MLP, self).__init__()
        self.linear_1 = Linear(32)
        self.linear_2 = Linear(32)
        self.linear_3 = Linear(10)

    def call(self, inputs):
        x = self.linear_1(inputs)
        x = jax.nn.relu(x)
        x = self.linear_2(x)
        x = jax.nn.relu(x)
        return self.linear_3(x)


def recursive_layers(quick=False):
    """Layers nest; the outer layer tracks the weights of the inner ones."""
    mlp = MLP()

    # The first call to the `mlp` object creates the weights.
    y = mlp(jnp.ones(shape=(3, 64)))

    # Weights are tracked recursively.
    assert len(mlp.weights) == 6
    print('MLP: output', y.shape, '| len(mlp.weights) =', len(mlp.weights))
    return {"mlp": mlp, "y": y}


class Dropout(Layer):

    def __init__(self, rate):
        super(Dropout, self).__init__()
        self.rate = rate

    def call(self, inputs, training=None):
        if training:
            return keras.random.dropout(inputs, rate=self.rate)   # tf.nn.dropout
        return inputs


class MLPWithDropout(Layer):

    def __init__(self):
        super(MLPWithDropout, self).__init__()
        self.linear_1 = Linear(32)
        self.dropout = Dropout(0.5)
        self.linear_3 = Linear(10)

    def call(self, inputs, training=None):
        x = self.linear_1(inputs)
        x = jax.nn.relu(x)
        x = self.dropout(x, training=training)
        return self.linear_3(x)


def training_argument(quick=False):
    """Layers such as Dropout behave differently in training and inference: the `training` argument."""
    mlp = MLPWithDropout()
    y_train = mlp(jnp.ones((2, 2)), training=True)
    y_test = mlp(jnp.ones((2, 2)), training=False)
    print('max |y_train - y_test| = %.4f (dropout active only with training=True)'
          % float(jnp.max(jnp.abs(y_train - y_test))))
    return {"mlp": mlp, "y_train": y_train, "y_test": y_test}


def functional_and_sequential(quick=False):
    """The functional API and Sequential, reusing the Linear and Dropout layers above."""
    # `Input` describes the shape and dtype of one sample (without the batch size).
    inputs = keras.Input(shape=(16,))

    # Calling layers on this symbolic "type" returns a new symbolic type with updated shape and dtype.
    x = Linear(32)(inputs)   # the Linear layer defined above
    x = Dropout(0.5)(x)      # the Dropout layer defined above
    outputs = Linear(10)(x)

    # A functional Model is defined by its inputs and outputs; a model is itself a layer.
    model = keras.Model(inputs, outputs)

    # A functional model has weights before it is ever called on data: `inputs` fixed the input shape.
    assert len(model.weights) == 4

    # Call the model on real data.
    y = model(jnp.ones((2, 16)))
    assert y.shape == (2, 10)
    print('functional model: len(weights) =', len(model.weights), '| output', y.shape)
    functional_model = model

    model = Sequential([Linear(32), Dropout(0.5), Linear(10)])

    y = model(jnp.ones((2, 16)))
    assert y.shape == (2, 10)
    print('Sequential model: output', y.shape)
    return {"functional": functional_model, "sequential": model, "y": y}


class BinaryTruePositives(keras.metrics.Metric):

    def __init__(self, name='binary_true_positives', **kwargs):
        super(BinaryTruePositives, self).__init__(name=name, **kwargs)
        self.true_positives = self.add_weight(name='tp', initializer='zeros')

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = jnp.asarray(y_true).astype(bool)
        y_pred = jnp.asarray(y_pred).astype(bool)

        values = jnp.logical_and(jnp.equal(y_true, True), jnp.equal(y_pred, True))
        values = values.astype(self.dtype)
        if sample_weight is not None:
            sample_weight = jnp.asarray(sample_weight).astype(self.dtype)
            sample_weight = jnp.broadcast_to(sample_weight, values.shape)   # tf.broadcast_weights
            values = jnp.multiply(values, sample_weight)
        self.true_positives.assign_add(jnp.sum(values))

    def result(self):
        return self.true_positives

    # tf.keras 2.0 called this `reset_states` (and the notebook's version misspelt the variable);
    # Keras 3 calls it `reset_state`.
    def reset_state(self):
        self.true_positives.assign(0)


def losses_and_metrics(quick=False):
    """A Loss class, a built-in Metric, and a custom Metric subclass."""
    bce = keras.losses.BinaryCrossentropy()
    y_true = [0., 0., 1., 1.]  # targets
    y_pred = [1., 1., 1., 0.]  # predictions
    loss = bce(y_true, y_pred)
    print('Loss:', float(loss))

    m = keras.metrics.AUC()
    m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
    intermediate_auc = float(m.result())
    print('Intermediate result:', intermediate_auc)
    m.update_state([1, 1, 1, 1], [0, 1, 1, 0])
    final_auc = float(m.result())
    print('Final result:', final_auc)

    # The custom metric, fed a few batches of thresholded predictions with sample weights.
    rng = np.random.default_rng(3)
    batches = [(rng.integers(0, 2, 32), rng.integers(0, 2, 32), rng.uniform(0, 2, 32)) for _ in range(3)]
    metric = BinaryTruePositives()
    for y_true_batch, y_pred_batch, weights in batches:
        metric.update_state(y_true_batch, y_pred_batch, sample_weight=weights)
    true_positives = float(metric.result())
    print('BinaryTruePositives (weighted):', true_positives)
    metric.reset_state()
    print('after reset_state:', float(metric.result()))
    return {"bce": float(loss), "auc": (intermediate_auc, final_auc), "batches": batches,
            "true_positives": true_positives, "after_reset": float(metric.result())}


def custom_training_loop(quick=False):
    """Optimizer, Loss and Metric classes in a custom training loop, compiled with kerasj.function."""
    # Prepare the dataset.
    (x_train, y_train), (x_test, y_test) = mnist_like_splits(2048 if quick else 60000, 512 if quick else 10000)
    x_train = x_train[:].reshape(len(x_train), 784).astype('float32') / 255
    dataset = BatchedDataset((x_train, y_train), batch_size=64, shuffle=True)

    # A simple classifier.
    model = keras.Sequential([
        layers.Dense(256, activation=jax.nn.relu),
        layers.Dense(256, activation=jax.nn.relu),
        layers.Dense(10)
    ])

    # A logistic loss that takes integer labels.
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    # An accuracy metric.
    accuracy = keras.metrics.SparseCategoricalAccuracy()

    # The optimizer.
    optimizer = keras.optimizers.Adam()

    @keras.function
    def train_step(x, y):
        # The GradientTape block: the forward pass and the loss, differentiated with respect to the weights.
        # kerasj.value_and_grad reads `model.trainable_weights` before the forward pass; on the very first
        # call the model is not built yet, so that one step computes no gradients and updates nothing.
        def forward():
            logits = model(x)
            loss_value = loss(y, logits)
            return loss_value, logits
        (loss_value, logits), gradients = keras.value_and_grad(forward, model.trainable_weights, has_aux=True)()

        # Update the model's weights.
        optimizer.apply_gradients(zip(gradients, model.trainable_weights))

        # Update the running accuracy.
        accuracy.update_state(y, logits)
        return loss_value

    step_losses = []
    log_every = 10 if quick else 100
    for step, (x, y) in enumerate(dataset):
        loss_value = train_step(x, y)
        step_losses.append(float(loss_value))
        if step % log_every == 0:
            print('Step:', step)
            print('Loss at the last step:', float(loss_value))
            print('Accuracy so far:', float(accuracy.result()))
    train_accuracy = float(accuracy.result())

    # Reuse the metric for a test loop.
    x_test = x_test[:].reshape(len(x_test), 784).astype('float32') / 255
    test_dataset = BatchedDataset((x_test, y_test), batch_size=128)

    accuracy.reset_state()  # reset the metric's internal state

    for step, (x, y) in enumerate(test_dataset):
        logits = model(x)
        accuracy.update_state(y, logits)

    test_accuracy = float(accuracy.result())
    print('Final test accuracy:', test_accuracy)
    return {"step_losses": step_losses, "train_accuracy": train_accuracy, "test_accuracy": test_accuracy,
            "train_step": train_step, "optimizer": optimizer, "steps": len(dataset)}


class ActivityRegularization(Layer):
    """A layer that creates an activity sparsity regularization loss."""

    def __init__(self, rate=1e-2):
        super(ActivityRegularization, self).__init__()
        self.rate = rate

    def call(self, inputs):
        # `add_loss` creates a regularization loss that depends on the inputs.
        self.add_loss(self.rate * jnp.sum(jnp.square(inputs)))
        return inputs


class SparseMLP(Layer):
    """A stack of linear layers with a sparsity regularization loss."""

    def __init__(self, output_dim):
        super(SparseMLP, self).__init__()
        self.dense_1 = layers.Dense(32, activation=jax.nn.relu)
        self.regularization = ActivityRegularization(1e-2)
        self.dense_2 = layers.Dense(output_dim)

    def call(self, inputs):
        x = self.dense_1(inputs)
        x = self.regularization(x)
        return self.dense_2(x)


def add_loss_section(quick=False):
    """Losses created during the forward pass with `add_loss`, collected in `.losses` and trained on."""
    mlp = SparseMLP(1)
    y = mlp(jnp.ones((10, 10)))

    print(mlp.losses)  # a list holding one float32 scalar
    probe = {"mlp": mlp, "losses": [float(l) for l in mlp.losses]}

    # The losses are those of the *last* forward pass: they are reset at each top-level call, not summed.
    mlp = SparseMLP(1)
    mlp(jnp.ones((10, 10)))
    assert len(mlp.losses) == 1
    mlp(jnp.ones((10, 10)))
    assert len(mlp.losses) == 1  # not accumulated

    # Using these losses in a training loop.

    # Prepare the dataset.
    (x_train, y_train), _ = mnist_like_splits(512 if quick else 60000, 10)
    dataset = BatchedDataset((x_train.reshape(len(x_train), 784).astype('float32') / 255, y_train),
                             batch_size=64, shuffle=True)

    # A new MLP.
    mlp = SparseMLP(10)

    # Loss and optimizer.
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.SGD(learning_rate=0.1)

    step_losses = []
    log_every = 2 if quick else 100
    for step, (x, y) in enumerate(dataset):
        def forward():
            # Forward pass.
            logits = mlp(x)

            # The external loss for this batch.
            loss = loss_fn(y, logits)

            # Add the losses created during the forward pass.
            loss += sum(mlp.losses)
            return loss

        # Gradients of the loss with respect to the weights.
        loss, gradients = keras.value_and_grad(forward, mlp.trainable_weights)()

        # Update the model's weights.
        optimizer.apply_gradients(zip(gradients, mlp.trainable_weights))

        step_losses.append(float(loss))
        # Logging.
        if step % log_every == 0:
            print(step, float(loss))
    return {**probe, "step_losses": step_losses, "trained_mlp": mlp}


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Keras 3 style: random state lives in a SeedGenerator, so sampling advances inside compiled steps.
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = jnp.shape(z_mean)[0]
        dim = jnp.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + jnp.exp(0.5 * z_log_var) * epsilon


class Encoder(layers.Layer):
    """Maps MNIST digits to a triplet (z_mean, z_log_var, z)."""

    def __init__(self, latent_dim=32, intermediate_dim=64, name='encoder', **kwargs):
        super(Encoder, self).__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation=jax.nn.relu)
        self.dense_mean = layers.Dense(latent_dim)
        self.dense_log_var = layers.Dense(latent_dim)
        self.sampling = Sampling()

    def call(self, inputs):
        x = self.dense_proj(inputs)
        z_mean = self.dense_mean(x)
        z_log_var = self.dense_log_var(x)
        z = self.sampling((z_mean, z_log_var))
        return z_mean, z_log_var, z


class Decoder(layers.Layer):
    """Converts z, the encoded digit vector, back into a readable digit."""

    def __init__(self, original_dim, intermediate_dim=64, name='decoder', **kwargs):
        super(Decoder, self).__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation=jax.nn.relu)
        self.dense_output = layers.Dense(original_dim, activation=jax.nn.sigmoid)

    def call(self, inputs):
        x = self.dense_proj(inputs)
        return self.dense_output(x)


class VariationalAutoEncoder(keras.Model):
    """Combines the encoder and decoder into an end-to-end model for training."""

    def __init__(self, original_dim, intermediate_dim=64, latent_dim=32, name='autoencoder', **kwargs):
        super(VariationalAutoEncoder, self).__init__(name=name, **kwargs)
        self.original_dim = original_dim
        self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
        self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

    def call(self, inputs):
        z_mean, z_log_var, z = self.encoder(inputs)
        reconstructed = self.decoder(z)
        # Add the KL divergence regularization loss.
        kl_loss = - 0.5 * jnp.mean(z_log_var - jnp.square(z_mean) - jnp.exp(z_log_var) + 1)
        self.add_loss(kl_loss)
        return reconstructed


def variational_autoencoder(quick=False):
    """The end-to-end VAE the notebook points to: Layer subclasses, nesting, add_loss; trained with fit."""
    (x_train, _), _ = mnist_like_splits(1024 if quick else 60000, 10)
    x_train = x_train.reshape(len(x_train), 784).astype('float32') / 255

    original_dim = 784
    vae = VariationalAutoEncoder(original_dim, 64, 32)

    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    vae.compile(optimizer, loss=keras.losses.MeanSquaredError())
    history = vae.fit(x_train, x_train, epochs=3, batch_size=64, verbose=0 if quick else 2)
    for epoch, value in enumerate(history.history['loss']):
        print('VAE epoch %d: loss (MSE + KL) = %.4f' % (epoch, value))
    return {"vae": vae, "history": history.history, "x_train": x_train}


def new_classifier():
    """The 784-256-256-10 classifier with its loss, metric and optimizer, as the notebook builds it."""
    # A simple classification model.
    model = keras.Sequential([
        layers.Dense(256, activation=jax.nn.relu),
        layers.Dense(256, activation=jax.nn.relu),
        layers.Dense(10)
    ])

    # A logistic loss that takes integer labels.
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    # An accuracy metric.
    accuracy = keras.metrics.SparseCategoricalAccuracy()

    # The optimizer.
    optimizer = keras.optimizers.Adam()
    return model, loss, accuracy, optimizer


def builtin_training_loop(quick=False):
    """`compile` + `fit` on a dataset, `evaluate`, then `fit` on numpy arrays with validation_data."""
    # Prepare the dataset.
    (x_train, y_train), (x_test, y_test) = mnist_like_splits(2048 if quick else 60000, 512 if quick else 10000)
    x_train = x_train.reshape(len(x_train), 784).astype('float32') / 255
    dataset = BatchedDataset((x_train, y_train), batch_size=64, shuffle=True)

    model, loss, accuracy, optimizer = new_classifier()

    # Configure the optimizer, loss and metrics to monitor.
    model.compile(optimizer=optimizer, loss=loss, metrics=[accuracy])

    # Fit on the dataset.
    verbose = 0 if quick else 2
    dataset_history = model.fit(dataset, epochs=1 if quick else 3, verbose=verbose).history

    # Test it.
    x_test = x_test[:].reshape(len(x_test), 784).astype('float32') / 255
    test_dataset = BatchedDataset((x_test, y_test), batch_size=128)

    loss, acc = model.evaluate(test_dataset, verbose=verbose)
    print('fit(dataset): loss:', loss, 'accuracy:', acc)
    dataset_result = (loss, acc)

    # Validation data, and fit directly on numpy arrays.
    num_val_samples = 512 if quick else 10000
    x_val = x_train[-num_val_samples:]
    y_val = y_train[-num_val_samples:]
    x_train = x_train[:-num_val_samples]
    y_train = y_train[:-num_val_samples]

    model, loss, accuracy, optimizer = new_classifier()
    model.compile(optimizer=optimizer,
                  loss=loss,
                  metrics=[accuracy])
    history = model.fit(x_train, y_train,
                        validation_data=(x_val, y_val),
                        epochs=2 if quick else 3,
                        batch_size=64, verbose=verbose)
    print('fit(arrays, validation_data): val_loss per epoch:', ['%.4f' % v for v in history.history['val_loss']])
    return {"dataset_history": dataset_history, "dataset_result": dataset_result, "history": history.history,
            "model": model, "validation": (x_val, y_val)}


def callbacks_section(quick=False):
    """fit with validation data and callbacks: EarlyStopping ends training when val_loss stops improving."""
    (x_train, y_train), _ = mnist_like_splits(1536 if quick else 60000, 10)
    x_train = x_train.reshape(len(x_train), 784).astype('float32') / 255
    num_val_samples = 512 if quick else 10000
    x_val = x_train[-num_val_samples:]
    y_val = y_train[-num_val_samples:]
    x_train = x_train[:-num_val_samples]
    y_train = y_train[:-num_val_samples]

    model, loss, accuracy, optimizer = new_classifier()
    model.compile(optimizer=optimizer,
                  loss=loss,
                  metrics=[accuracy])

    # Some callbacks. The notebook also passed
    #     tf.keras.callbacks.ModelCheckpoint(filepath='my_model.keras', save_best_only=True)
    # kerasj.callbacks has no ModelCheckpoint yet, so only EarlyStopping is used here.
    callbacks = [keras.callbacks.EarlyStopping()]

    history = model.fit(x_train, y_train,
                        validation_data=(x_val, y_val),
                        epochs=30,
                        batch_size=64,
                        callbacks=callbacks,
                        verbose=0 if quick else 2)
    val_loss = history.history['val_loss']
    print('EarlyStopping: ran %d of 30 epochs; val_loss per epoch: %s'
          % (len(val_loss), ['%.4f' % v for v in val_loss]))
    return {"history": history.history, "early_stopping": callbacks[0]}


SECTIONS = [tensors_and_variables, gradients, linear_regression, linear_layer,
            trainable_and_non_trainable_weights, recursive_layers, training_argument, functional_and_sequential,
            losses_and_metrics, custom_training_loop, add_loss_section, variational_autoencoder,
            builtin_training_loop, callbacks_section]


def main(quick=False):
    keras.utils.set_random_seed(1337)
    results = {}
    for section in SECTIONS:
        print(f"\n=== {section.__name__}: {section.__doc__.splitlines()[0]}")
        results[section.__name__] = section(quick=quick)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data and few epochs (a smoke run)")
    main(parser.parse_args().quick)
