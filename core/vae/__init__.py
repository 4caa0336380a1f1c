"""The variational autoencoder (and its plain-autoencoder twin) on MNIST: model.py defines and trains
it, latent.py holds what the Latent Space page does with its latent vectors."""
