"""Training loops the notebooks share; the student's pieces (losses, models, steps) are arguments.

- :func:`train_gan` -- one GAN loop for every objective in the course (BCE, MSE, WGAN with clipping,
  LSGAN, WGAN-GP, unrolled generator steps), MLP or convolutional models, CPU or GPU;
- :func:`fit` -- a supervised / likelihood loop (classifiers, the IMDB models, the VAE);
- :func:`load_or_train` -- reuse a finished configuration from the cache instead of retraining it.
"""

from .checkpoints import fingerprint, load_or_train
from .gan import GANHistory, train_gan
from .supervised import fit

__all__ = ["GANHistory", "fingerprint", "fit", "load_or_train", "train_gan"]
