"""Training for the notebooks: one loop, step strategies, callbacks; the student's pieces (losses, models, steps) are arguments.

- :func:`train_gan` -- one GAN facade for every objective in the course (BCE, MSE, WGAN with clipping,
  LSGAN, WGAN-GP, unrolled generator steps), MLP or convolutional models, CPU or GPU;
- :func:`fit` -- a supervised / likelihood facade (classifiers, the IMDB models, the VAE);
- both run :func:`loop.run` (d2l's ``Trainer``, small) with a step strategy (:mod:`.steps`) and callbacks
  (:mod:`.callbacks`), and return one :class:`History` type;
- :func:`load_or_train` -- reuse a finished configuration from the cache instead of retraining it;
- :func:`load_or_train_all` -- the same for several :class:`TrainJob` runs, trained side by side on a CPU's cores.
"""

from .checkpoints import fingerprint, load_or_train
from .gan import GANHistory, train_gan
from .loop import History
from .parallel import TrainJob, load_or_train_all
from .supervised import fit

__all__ = ["GANHistory", "History", "TrainJob", "fingerprint", "fit", "load_or_train", "load_or_train_all", "train_gan"]
