"""The GAN on MNIST: model.py (Generator, Discriminator, the one training step), live.py (a GAN training
in a browser session), toy.py (the 2-D toy GAN), history.py (the recorded training the page replays)."""
