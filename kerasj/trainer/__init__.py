"""The training machinery behind Model.compile/fit/evaluate/predict."""
