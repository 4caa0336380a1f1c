"""The variational autoencoder (and its plain-autoencoder twin) on MNIST: model.py defines and trains
it, latent.py holds what the Latent Space page does with its latent vectors, history.py the recorded training
the page replays, live.py a 2-D VAE training in a browser session."""
