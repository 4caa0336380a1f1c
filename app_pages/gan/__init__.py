"""The GAN Training page's tabs, one module each (app_pages/gan_training.py lays them out); common.py holds
what more than one tab uses."""
