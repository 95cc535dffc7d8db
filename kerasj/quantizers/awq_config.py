"""`AWQConfig`: the settings of AWQ post-training quantization (Lin et al., 2023: per-input-channel scales,
found by a grid search over activation magnitudes, protect the salient weights before 4-bit quantization).
kerasj holds and serializes the config as Keras does; running AWQ (`model.quantize("awq")`) is not
implemented yet.

    >>> AWQConfig(dataset=None, tokenizer=None, group_size=-1).dtype_policy_string()
    'awq/4/-1'
"""
from kerasj.quantizers.quantization_config import QuantizationConfig, check_group_size
from kerasj.utils.argument_validation import check_positive_int


class AWQConfig(QuantizationConfig):
    """AWQ settings.

    Args:
        dataset: calibration data (strings or token arrays); used once, never saved.
        tokenizer: turns string samples into tokens; used once, never saved.
        weight_bits: 4 (the only width AWQ supports).
        num_samples: how many calibration samples to use.
        sequence_length: the length of each calibration sample.
        group_size: input columns sharing a scale; -1 for whole channels.
        num_grid_points: how many candidate scalings the search tries per layer.
        quantization_layer_structure: `{"pre_block_layers": [...], "sequential_blocks": [...]}`, or None for
            the model's own `get_quantization_layer_structure`.
    """

    def __init__(self, dataset, tokenizer, *, weight_bits: int = 4, num_samples: int = 128,
                 sequence_length: int = 512, group_size: int = 128, num_grid_points: int = 20,
                 quantization_layer_structure: dict = None):
        super().__init__()
        if weight_bits != 4 or isinstance(weight_bits, bool):
            raise ValueError(f"AWQConfig: `weight_bits` must be 4 (AWQ quantizes to 4 bits only); received "
                             f"weight_bits={weight_bits!r}")
        check_positive_int(num_samples, "num_samples", "AWQConfig")
        check_positive_int(sequence_length, "sequence_length", "AWQConfig")
        check_group_size("AWQConfig", group_size)
        check_positive_int(num_grid_points, "num_grid_points", "AWQConfig")
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.weight_bits = weight_bits
        self.num_samples = num_samples
        self.sequence_length = sequence_length
        self.group_size = group_size
        self.num_grid_points = num_grid_points
        self.quantization_layer_structure = quantization_layer_structure

    @property
    def mode(self):
        return "awq"

    def dtype_policy_string(self):
        """The name of the quantized dtype policy this config gives: "awq/<weight_bits>/<group_size>"."""
        return f"awq/{self.weight_bits}/{self.group_size}"

    def get_config(self):
        # The calibration data and tokenizer are for one quantization run only: saved as None, as Keras does.
        return {"dataset": None, "tokenizer": None, "weight_bits": self.weight_bits,
                "num_samples": self.num_samples, "sequence_length": self.sequence_length,
                "group_size": self.group_size, "num_grid_points": self.num_grid_points,
                "quantization_layer_structure": self.quantization_layer_structure}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
