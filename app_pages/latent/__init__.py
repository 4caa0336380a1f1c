"""The Latent Space page's tabs, one module each (app_pages/latent_space.py lays them out); common.py holds
what more than one tab uses."""
