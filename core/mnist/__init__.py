"""MNIST helpers beside the models: the digit classifier that scores them, and turning a drawing
into an MNIST digit."""
