"""`GPTQConfig`: the settings of GPTQ post-training quantization (Frantar et al., 2022: weights quantized
column by column, the error of each column compensated in the rest using the inverse Hessian of calibration
activations). kerasj holds and serializes the config as Keras does; running GPTQ (`model.quantize("gptq")`)
is not implemented yet.

    >>> config = GPTQConfig(dataset=None, tokenizer=None, weight_bits=4, group_size=64)
    >>> config.mode, config.dtype_policy_string()
    ('gptq', 'gptq/4/64')
"""
from kerasj.quantizers.quantization_config import QuantizationConfig, check_group_size
from kerasj.utils.argument_validation import check_positive_int


class GPTQConfig(QuantizationConfig):
    """GPTQ settings.

    Args:
        dataset: calibration data (strings or token arrays); used once, never saved.
        tokenizer: turns string samples into tokens; used once, never saved.
        weight_bits: 2, 3, 4 or 8.
        num_samples: how many calibration samples to use.
        per_channel: one scale per output channel (else one per tensor).
        sequence_length: the length of each calibration sample.
        hessian_damping: the fraction of the Hessian's mean diagonal added to it, in [0, 1].
        group_size: input columns sharing a scale; -1 for whole channels.
        symmetric: symmetric (no zero point) rather than asymmetric quantization.
        activation_order: quantize columns in order of decreasing activation magnitude.
        quantization_layer_structure: `{"pre_block_layers": [...], "sequential_blocks": [...]}`, or None for
            the model's own `get_quantization_layer_structure`.
    """

    def __init__(self, dataset, tokenizer, *, weight_bits: int = 4, num_samples: int = 128,
                 per_channel: bool = True, sequence_length: int = 512, hessian_damping: float = 0.01,
                 group_size: int = 128, symmetric: bool = False, activation_order: bool = False,
                 quantization_layer_structure: dict = None):
        super().__init__()
        if weight_bits not in (2, 3, 4, 8) or isinstance(weight_bits, bool):
            raise ValueError(f"GPTQConfig: `weight_bits` must be 2, 3, 4 or 8; received weight_bits={weight_bits!r}")
        check_positive_int(num_samples, "num_samples", "GPTQConfig")
        check_positive_int(sequence_length, "sequence_length", "GPTQConfig")
        if not isinstance(hessian_damping, (int, float)) or not 0 <= hessian_damping <= 1:
            raise ValueError(f"GPTQConfig: `hessian_damping` must be a number in [0, 1]; received "
                             f"hessian_damping={hessian_damping!r}")
        check_group_size("GPTQConfig", group_size)
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.weight_bits = weight_bits
        self.num_samples = num_samples
        self.per_channel = per_channel
        self.sequence_length = sequence_length
        self.hessian_damping = hessian_damping
        self.group_size = group_size
        self.symmetric = symmetric
        self.activation_order = activation_order
        self.quantization_layer_structure = quantization_layer_structure

    @property
    def mode(self):
        return "gptq"

    def dtype_policy_string(self):
        """The name of the quantized dtype policy this config gives: "gptq/<weight_bits>/<group_size>"."""
        return f"gptq/{self.weight_bits}/{self.group_size}"

    def get_config(self):
        # The calibration data and tokenizer are for one quantization run only: saved as None, as Keras does.
        return {"dataset": None, "tokenizer": None, "weight_bits": self.weight_bits,
                "num_samples": self.num_samples, "per_channel": self.per_channel,
                "sequence_length": self.sequence_length, "hessian_damping": self.hessian_damping,
                "group_size": self.group_size, "symmetric": self.symmetric,
                "activation_order": self.activation_order,
                "quantization_layer_structure": self.quantization_layer_structure}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
