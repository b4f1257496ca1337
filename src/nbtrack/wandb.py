"""``import nbtrack.wandb as wandb``: W&B-shaped calls recorded by nbtrack (see
``nbtrack.interop.wandb``). This name is that module itself, so ``wandb.run`` is always current."""

import sys

from .interop import wandb as _impl

sys.modules[__name__] = _impl
