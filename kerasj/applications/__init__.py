"""Keras's ImageNet models (`keras.applications`): the model functions, and one submodule per family with its
`preprocess_input` and `decode_predictions`.

    >>> model = kerasj.applications.ResNet50(weights=None, input_shape=(64, 64, 3), classes=10)
    >>> x = kerasj.applications.resnet50.preprocess_input(images)
"""
from kerasj.applications import (convnext, densenet, efficientnet, efficientnet_v2, imagenet_utils,
                                 inception_resnet_v2, inception_v3, mobilenet, mobilenet_v2, mobilenet_v3, nasnet,
                                 resnet, resnet50, resnet_v2, vgg16, vgg19, xception)
from kerasj.applications.convnext import ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall, ConvNeXtTiny, ConvNeXtXLarge
from kerasj.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from kerasj.applications.efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3,
                                              EfficientNetB4, EfficientNetB5, EfficientNetB6, EfficientNetB7)
from kerasj.applications.efficientnet_v2 import (EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2,
                                                 EfficientNetV2B3, EfficientNetV2L, EfficientNetV2M, EfficientNetV2S)
from kerasj.applications.inception_resnet_v2 import InceptionResNetV2
from kerasj.applications.inception_v3 import InceptionV3
from kerasj.applications.mobilenet import MobileNet
from kerasj.applications.mobilenet_v2 import MobileNetV2
from kerasj.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from kerasj.applications.nasnet import NASNetLarge, NASNetMobile
from kerasj.applications.resnet import ResNet50, ResNet101, ResNet152
from kerasj.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from kerasj.applications.vgg16 import VGG16
from kerasj.applications.vgg19 import VGG19
from kerasj.applications.xception import Xception
