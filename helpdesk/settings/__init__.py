"""Settings: one environment-driven base and one small module per integration."""

from .base import *  # noqa: F401,F403
from .celery import *  # noqa: F401,F403
from .channels import *  # noqa: F401,F403
from .email import *  # noqa: F401,F403
from .line import *  # noqa: F401,F403
from .meta import *  # noqa: F401,F403
from .supervision import *  # noqa: F401,F403
from .twilio import *  # noqa: F401,F403
