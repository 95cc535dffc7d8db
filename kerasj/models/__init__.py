"""Models: Model (functional and subclassed) and Sequential."""
from kerasj.models.functional import Functional
from kerasj.models.model import Model
from kerasj.models.sequential import Sequential
