"""The XOR classifier of the TF 2.15 / Keras course (seed 004), unchanged except for the import.

An `MLP` class with a `hidden_layer_conf`, sigmoid Dense layers, SGD(0.1) and MSE, trained on the four XOR
samples with batch_size=1 for 1500 epochs (6,000 one-sample steps), then printing the XOR table.

Run: python examples/xor_classifier.py
"""
import time

import numpy as np

import kerasj as keras


class MLP:
    # "hidden_layer_conf" lists the number of units of each hidden layer.
    def __init__(self, hidden_layer_conf, num_output_nodes):
        self.hidden_layer_conf = hidden_layer_conf
        self.num_output_nodes = num_output_nodes
        self.logic_op_model = None

    def build_model(self):
        input_layer = keras.Input(shape=[2, ])
        hidden_layers = input_layer
        if self.hidden_layer_conf is not None:
            for num_hidden_nodes in self.hidden_layer_conf:
                hidden_layers = keras.layers.Dense(units=num_hidden_nodes,
                                                   activation=keras.activations.sigmoid,
                                                   use_bias=True)(hidden_layers)
        output = keras.layers.Dense(units=self.num_output_nodes,
                                    activation=keras.activations.sigmoid,
                                    use_bias=True)(hidden_layers)
        self.logic_op_model = keras.Model(inputs=input_layer, outputs=output)
        sgd = keras.optimizers.SGD(learning_rate=0.1)
        self.logic_op_model.compile(optimizer=sgd, loss="mse")

    def fit(self, x, y, batch_size, epochs, verbose="auto"):
        return self.logic_op_model.fit(x=x, y=y, batch_size=batch_size, epochs=epochs, verbose=verbose)

    def predict(self, x, batch_size):
        prediction = self.logic_op_model.predict(x=x, batch_size=batch_size, verbose=0)
        return prediction


def xor_classifier_example(epochs=1500, verbose=0):
    keras.utils.set_random_seed(4)
    input_data = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=np.float32)
    xor_labels = np.array([0.0, 1.0, 1.0, 0.0], dtype=np.float32)
    batch_size = 1
    mlp_classifier = MLP(hidden_layer_conf=[4], num_output_nodes=1)
    mlp_classifier.build_model()
    start = time.perf_counter()
    history = mlp_classifier.fit(x=input_data, y=xor_labels, batch_size=batch_size, epochs=epochs, verbose=verbose)
    seconds = time.perf_counter() - start
    prediction = mlp_classifier.predict(x=input_data, batch_size=batch_size)
    print("===== MLP XOR classifier result =====")
    for x, y in zip(input_data, prediction):
        print("%d XOR %d => %.2f => %d" % (x[0], x[1], y[0], 1 if y[0] > 0.5 else 0))
    print(f"{epochs} epochs ({epochs * len(input_data)} steps of batch 1) in {seconds:.2f} s; "
          f"final loss {history.history['loss'][-1]:.4f}")
    return prediction


# Entry point
if __name__ == "__main__":
    xor_classifier_example()
