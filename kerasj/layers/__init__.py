"""Layers: `kerasj.layers.Dense`, `Dropout`, ... (Keras 3 names and arguments)."""
from kerasj.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from kerasj.layers.attention import AdditiveAttention, Attention
from kerasj.layers.core import Activation, Dense, Identity
from kerasj.layers.convolutional import (Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose,
                                         Convolution1D, Convolution1DTranspose, Convolution2D,
                                         Convolution2DTranspose, Convolution3D, Convolution3DTranspose)
from kerasj.layers.cropping import Cropping1D, Cropping2D, Cropping3D
from kerasj.layers.einsum_dense import EinsumDense
from kerasj.layers.embedding import Embedding
from kerasj.layers.input_layer import Input, InputLayer
from kerasj.layers.input_spec import InputSpec
from kerasj.layers.lambda_layer import Lambda
from kerasj.layers.layer import Layer
from kerasj.layers.masking import Masking
from kerasj.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                    average, concatenate, dot, maximum, minimum, multiply, subtract)
from kerasj.layers.multi_head_attention import MultiHeadAttention
from kerasj.layers.normalization import (BatchNormalization, GroupNormalization, LayerNormalization,
                                          UnitNormalization)
from kerasj.layers.padding import ZeroPadding1D, ZeroPadding2D, ZeroPadding3D
from kerasj.layers.pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D, AvgPool2D,
                                   AvgPool3D, GlobalAveragePooling1D, GlobalAveragePooling2D,
                                   GlobalAveragePooling3D, GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D,
                                   GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D, GlobalMaxPooling1D,
                                   GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPool1D, MaxPool2D, MaxPool3D,
                                   MaxPooling1D, MaxPooling2D, MaxPooling3D)
from kerasj.layers.preprocessing.center_crop import CenterCrop
from kerasj.layers.preprocessing.normalization import Normalization
from kerasj.layers.preprocessing.random_contrast import RandomContrast
from kerasj.layers.preprocessing.random_flip import RandomFlip
from kerasj.layers.preprocessing.random_rotation import RandomRotation
from kerasj.layers.preprocessing.random_translation import RandomTranslation
from kerasj.layers.preprocessing.random_zoom import RandomZoom
from kerasj.layers.preprocessing.rescaling import Rescaling
from kerasj.layers.preprocessing.resizing import Resizing
from kerasj.layers.recurrent import (GRU, LSTM, RNN, Bidirectional, ConvLSTM1D, ConvLSTM2D, ConvLSTM3D, GRUCell,
                                    LSTMCell, SimpleRNN, SimpleRNNCell, StackedRNNCells)
from kerasj.layers.regularization import (ActivityRegularization, AlphaDropout, Dropout, GaussianDropout,
                                          GaussianNoise, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D)
from kerasj.layers.reshaping import Flatten, Permute, RepeatVector, Reshape
from kerasj.layers.separable_convolutional import (DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
                                                   SeparableConv2D, SeparableConvolution1D,
                                                   SeparableConvolution2D)
from kerasj.layers.serialization import deserialize_layer as deserialize
from kerasj.layers.serialization import serialize_layer as serialize
from kerasj.layers.time_distributed import TimeDistributed
from kerasj.layers.upsampling import UpSampling1D, UpSampling2D, UpSampling3D
from kerasj.layers.preprocessing.integer_lookup import IntegerLookup
from kerasj.layers.preprocessing.string_lookup import StringLookup
from kerasj.layers.preprocessing.text_vectorization import TextVectorization
from kerasj.layers.preprocessing.category_encoding import CategoryEncoding
from kerasj.layers.preprocessing.discretization import Discretization
from kerasj.layers.preprocessing.hashed_crossing import HashedCrossing
from kerasj.layers.preprocessing.hashing import Hashing
# Registers keras.utils.FeatureSpace (and its Feature / Cross records) for loading files; not a keras.layers name.
from kerasj.layers.preprocessing import feature_space as _feature_space  # noqa: F401
from kerasj.layers.preprocessing.augmentation_policies import AugMix, RandAugment  # noqa: E402
from kerasj.layers.preprocessing.histogram_equalization import (  # noqa: E402
    AutoContrast, ContrastLimitedAdaptiveHistogramEqualization, Equalization)
from kerasj.layers.preprocessing.point_operations import RandomInvert, RandomPosterization, Solarization  # noqa: E402
from kerasj.layers.preprocessing.random_brightness import RandomBrightness  # noqa: E402
from kerasj.layers.preprocessing.random_color_jitter import RandomColorJitter  # noqa: E402
from kerasj.layers.preprocessing.random_gaussian_blur import RandomGaussianBlur  # noqa: E402
from kerasj.layers.preprocessing.random_grayscale import RandomColorDegeneration, RandomGrayscale  # noqa: E402
from kerasj.layers.preprocessing.random_hue_saturation import RandomHue, RandomSaturation  # noqa: E402
from kerasj.layers.preprocessing.random_sharpness import RandomSharpness  # noqa: E402
from kerasj.layers.preprocessing.cut_mix import CutMix
from kerasj.layers.preprocessing.max_num_bounding_boxes import MaxNumBoundingBoxes
from kerasj.layers.preprocessing.mix_up import MixUp
from kerasj.layers.preprocessing.pipeline import Pipeline
from kerasj.layers.preprocessing.random_crop import RandomCrop
from kerasj.layers.preprocessing.random_elastic_transform import RandomElasticTransform
from kerasj.layers.preprocessing.random_erasing import RandomErasing
from kerasj.layers.preprocessing.random_perspective import RandomPerspective
from kerasj.layers.preprocessing.random_shear import RandomShear
from kerasj.layers.preprocessing.mel_spectrogram import MelSpectrogram
from kerasj.layers.preprocessing.stft_spectrogram import STFTSpectrogram
from kerasj.layers.jax_layer import FlaxLayer, JaxLayer
from kerasj.layers.adaptive_pooling import (AdaptiveAveragePooling1D, AdaptiveAveragePooling2D,  # noqa: E402
                                            AdaptiveAveragePooling3D, AdaptiveMaxPooling1D, AdaptiveMaxPooling2D,
                                            AdaptiveMaxPooling3D)
from kerasj.layers.group_query_attention import GroupedQueryAttention, GroupQueryAttention  # noqa: E402
from kerasj.layers.reversible_embedding import ReversibleEmbedding  # noqa: E402
from kerasj.layers.rms_normalization import RMSNormalization  # noqa: E402
from kerasj.layers.spectral_normalization import SpectralNormalization  # noqa: E402
from kerasj.layers.wrapper import Wrapper  # noqa: E402
from kerasj.utils.keras_names import register_namespace

register_namespace("keras.layers", globals())  # configs name these classes
register_namespace("keras", {"Input": Input, "InputSpec": InputSpec, "Layer": Layer})
