"""The optional packages the export formats need, imported only when a format is used."""
import importlib


def require(module, feature):
    """The module `module`, or an ImportError saying that `feature` needs it and how to install it.

        >>> tf = require("tensorflow", 'model.export(format="tf_saved_model")')
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        package = module.split(".")[0]
        raise ImportError(f"{feature} requires the `{package}` package, which is not installed. Install it with "
                          f"`pip install {package}`.") from err
