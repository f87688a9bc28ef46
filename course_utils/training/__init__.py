"""Training loops the notebooks share; the student's pieces (losses, models, steps) are arguments.

- :func:`train_gan` -- one GAN loop for every objective in the course (BCE, MSE, WGAN with clipping,
  LSGAN, WGAN-GP, unrolled generator steps), MLP or convolutional models, CPU or GPU;
- :func:`fit` -- a supervised / likelihood loop (classifiers, the IMDB models, the VAE);
- :func:`load_or_train` -- reuse a finished configuration from the cache instead of retraining it;
- :func:`load_or_train_all` -- the same for several :class:`TrainJob` runs, trained side by side on a CPU's cores.
"""

from .checkpoints import fingerprint, load_or_train
from .gan import GANHistory, train_gan
from .parallel import TrainJob, load_or_train_all
from .supervised import fit

__all__ = ["GANHistory", "TrainJob", "fingerprint", "fit", "load_or_train", "load_or_train_all", "train_gan"]
